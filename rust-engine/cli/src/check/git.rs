//! The producer's repository, read through the `git` binary. Refs and
//! paths come from the command line or the repository, so they are
//! untrusted: each is one argument of an argument vector (never a shell),
//! a ref is verified as a commit after `--end-of-options`, and anything
//! that would be read as an option is refused.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Usage;

/// A repository, at its top-level folder.
pub(crate) struct Repo {
    pub root: PathBuf,
}

/// A ref as given and the commit it names.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Commit {
    #[serde(rename = "ref")]
    pub name: String,
    pub commit: String,
}

impl Repo {
    /// The repository `dir` is in.
    pub fn open(dir: &Path) -> Result<Repo, Usage> {
        let out = git(dir, &["rev-parse", "--show-toplevel"]).map_err(|e| Usage(format!("{}: not in a git repository ({e})", dir.display())))?;
        let root = String::from_utf8_lossy(&out).trim_end_matches(['\n', '\r']).to_string();
        Ok(Repo { root: PathBuf::from(root) })
    }

    /// The commit `name` names, or an error naming the ref.
    pub fn commit(&self, name: &str) -> Result<Commit, Usage> {
        if name.is_empty() || name.starts_with('-') || name.contains(['\0', '\n']) {
            return Err(Usage(format!("bad ref `{name}`: a ref cannot be empty, hold a newline or start with `-`")));
        }
        let spec = format!("{name}^{{commit}}");
        let out =
            git(&self.root, &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec]).map_err(|_| Usage(format!("unknown ref `{name}`: no commit by that name in {}", self.root.display())))?;
        let commit = String::from_utf8_lossy(&out).trim().to_string();
        if commit.len() < 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Usage(format!("unknown ref `{name}`: git answered `{commit}`")));
        }
        Ok(Commit { name: name.to_string(), commit })
    }

    /// The paths of files that differ between two commits (a rename is a
    /// deletion and an addition).
    pub fn changed(&self, base: &Commit, head: &Commit) -> Result<Vec<String>, Usage> {
        let out = self.run(&["diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", &base.commit, &head.commit, "--"])?;
        Ok(split_z(&out))
    }

    /// Every file of a commit's tree: its path and its blob's id.
    pub fn files(&self, commit: &Commit) -> Result<Vec<(String, String)>, Usage> {
        let out = self.run(&["ls-tree", "-r", "-z", "--full-tree", &commit.commit, "--"])?;
        // `<mode> SP <type> SP <id> TAB <path>`, each entry ended by NUL.
        Ok(split_z(&out)
            .into_iter()
            .filter_map(|entry| {
                let (meta, path) = entry.split_once('\t')?;
                let mut fields = meta.split(' ');
                let (_, kind, id) = (fields.next()?, fields.next()?, fields.next()?);
                (kind == "blob").then(|| (path.to_string(), id.to_string()))
            })
            .collect())
    }

    /// The text of each blob of `ids` not in `texts` yet, added to it (all
    /// in one `git cat-file`); one that is no UTF-8 text is left out. By
    /// id, not by `commit:path`: git then looks no path up (ten times
    /// faster on a thousand files), and a file both commits share is read
    /// once.
    pub fn read(&self, ids: &[&str], texts: &mut HashMap<String, String>) -> Result<(), Usage> {
        let mut wanted: Vec<&str> = ids.iter().copied().filter(|id| !texts.contains_key(*id) && id.bytes().all(|b| b.is_ascii_hexdigit())).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let mut child = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(["cat-file", "--batch", "--buffer"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Usage(format!("cannot run git: {e}")))?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let requests: String = wanted.iter().map(|id| format!("{id}\n")).collect();
        // Written from a thread: git answers while it reads, and a full pipe
        // on both sides would block both.
        let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
        let mut out = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let fail = |e: std::io::Error| Usage(format!("cannot read from git cat-file: {e}"));
        for id in &wanted {
            let mut header = String::new();
            out.read_line(&mut header).map_err(fail)?;
            let fields: Vec<&str> = header.split_whitespace().collect();
            // `<id> missing` for an object the repository does not have.
            if let [_, kind, size] = fields.as_slice() {
                let size: usize = size.parse().map_err(|_| Usage(format!("git cat-file answered `{}`", header.trim())))?;
                let mut content = vec![0; size + 1];
                out.read_exact(&mut content).map_err(fail)?;
                content.pop();
                if *kind == "blob" {
                    if let Ok(text) = String::from_utf8(content) {
                        texts.insert(id.to_string(), text);
                    }
                }
            }
        }
        let _ = writer.join();
        let _ = child.wait();
        Ok(())
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>, Usage> {
        git(&self.root, args).map_err(|e| Usage(format!("git {}: {e}", args.first().unwrap_or(&""))))
    }
}

/// Runs git in `dir`; its stdout, or its stderr's first line as the error.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        // The pager and replacement objects have no say in what is read.
        .env("GIT_PAGER", "cat")
        .env("GIT_NO_REPLACE_OBJECTS", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(stderr.lines().next().unwrap_or("failed").to_string())
    }
}

fn split_z(out: &[u8]) -> Vec<String> {
    out.split(|b| *b == 0).filter(|p| !p.is_empty()).map(|p| String::from_utf8_lossy(p).into_owned()).collect()
}
