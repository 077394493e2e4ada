// The AMD loader's magic "module" dependency (SystemJS amd extra): `uri` is the module's own URL, set
// from SystemJS 6.15.1 (Grafana 11.1) on, absent before.
declare module 'module' {
  export const uri: string | undefined;
  export const id: string;
}
