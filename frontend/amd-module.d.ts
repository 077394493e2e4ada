// The AMD loader's magic "module" dependency (SystemJS amd extra): `uri` is the module's own URL.
declare module 'module' {
  export const uri: string;
  export const id: string;
}
