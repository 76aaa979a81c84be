/** A process that holds a socket (the fields are described in PROCESS_FIELDS, socket-fields.ts). */
export interface ProcessInfo {
  pid: number;
  name: string | null;
  exe: string | null;
  exeDeleted: boolean;
  cmdline: string[] | null;
  uid: number | null;
  user: string | null;
  containerId: string | null;
  netns: number | null;
}

/** Another holder of the same socket (a forked server, a passed descriptor). */
export interface SharedHolder {
  pid: number;
  name: string | null;
}
