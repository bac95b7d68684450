// git-url-parse ships no types (and @types/git-url-parse describes an old
// major version); these are the fields Ripple reads.
declare module 'git-url-parse' {
  interface GitUrl {
    protocol: string;
    resource: string;
    port: string | null;
    owner: string;
    name: string;
    full_name: string;
    ref: string;
    filepath: string;
    /** 'tree', 'blob', … the URL's kind of path; '' for a repository's root. */
    filepathtype: string;
    toString(type?: 'https' | 'ssh' | 'git'): string;
  }
  function gitUrlParse(url: string): GitUrl;
  export default gitUrlParse;
}
