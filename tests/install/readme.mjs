// Applies the README's "Install into your portal" section to a portal,
// verbatim, so the README cannot drift from what the install test proves.
//
// Each fenced code block of that section is preceded by a marker comment that
// says which portals it is for and what to do with it:
//
//   <!-- install: portals=new,legacy run -->             run the block with bash in the portal
//   <!-- install: portals=legacy file=F top -->          insert the block at the top of F
//   <!-- install: portals=legacy file=F after="A" -->    insert it after the first line containing A
//   <!-- install: portals=new file=F before="A" -->      insert it before the first line containing A
//
// `after`/`before` take several anchors separated by " >> ": each is searched
// from the line where the previous one was found (`const defaultEntityPage >>
// <EntityLayout>`). A marker that matches nothing is an error: the README must
// keep fitting the template.
//
// Usage: node readme.mjs README.md PORTAL_DIR PORTAL_KIND [--list]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SECTION = 'Install into your portal';

/** The marked blocks of the README's install section, in order. */
export function installBlocks(readme) {
  const start = readme.search(new RegExp(`^## ${SECTION}\\s*$`, 'm'));
  if (start < 0) throw new Error(`README has no "## ${SECTION}" section`);
  const rest = readme.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  const blocks = [];
  const pattern = /<!--\s*install:(.*?)-->\s*\n```[\w-]*\n([\s\S]*?)\n```/g;
  for (const [, attributes, body] of section.matchAll(pattern)) {
    const marker = {};
    for (const [, key, quoted, bare] of attributes.matchAll(/([\w-]+)(?:="([^"]*)"|=(\S+))?/g)) {
      marker[key] = quoted ?? bare ?? true;
    }
    if (!marker.portals) throw new Error(`install marker without portals=: ${attributes.trim()}`);
    blocks.push({ ...marker, portals: marker.portals.split(','), body });
  }
  const unmarked = section.match(/```[\w-]*\n/g)?.length ?? 0;
  if (unmarked / 2 > blocks.length) {
    throw new Error(`${SECTION}: ${unmarked / 2 - blocks.length} code block(s) without an install marker`);
  }
  return blocks;
}

/** Index of the line the anchors lead to, or an error naming the one missing. */
function findAnchor(lines, anchors, file) {
  let at = 0;
  for (const anchor of anchors.split(' >> ')) {
    const found = lines.findIndex((line, i) => i >= at && line.includes(anchor));
    if (found < 0) throw new Error(`${file}: no line containing ${JSON.stringify(anchor)}`);
    at = found;
  }
  return at;
}

export function applyBlock(portal, block) {
  if (block.run) {
    console.error(`$ ${block.body.split('\n').join('\n$ ')}`);
    execFileSync('bash', ['-euo', 'pipefail', '-c', block.body], { cwd: portal, stdio: 'inherit' });
    return;
  }
  if (!block.file) throw new Error('install marker needs run or file=');
  const path = join(portal, block.file);
  const lines = readFileSync(path, 'utf8').split('\n');
  const insert = block.body.split('\n');
  if (block.top) lines.unshift(...insert);
  else if (block.after) lines.splice(findAnchor(lines, block.after, block.file) + 1, 0, ...insert);
  else if (block.before) lines.splice(findAnchor(lines, block.before, block.file), 0, ...insert);
  else throw new Error(`install marker for ${block.file} needs top, after= or before=`);
  writeFileSync(path, lines.join('\n'));
  console.error(`${block.file}: added ${insert.length} line(s)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [readmePath, portal, kind, list] = process.argv.slice(2);
  const blocks = installBlocks(readFileSync(readmePath, 'utf8')).filter(b => b.portals.includes(kind));
  if (!blocks.length) throw new Error(`the README has no install lines for the ${kind} portal`);
  try {
    if (list) console.log(JSON.stringify(blocks, null, 2));
    else for (const block of blocks) applyBlock(portal, block);
  } catch (error) {
    console.error(`README install lines for the ${kind} portal: ${error.message.split('\n')[0]}`);
    process.exit(1);
  }
}
