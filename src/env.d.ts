// Text imports of SQL files (Bun's `with { type: "text" }`), so they are embedded in the executable.
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
// File imports (`with { type: "file" }`): the path of the file, embedded in the compiled executable.
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "*.data" {
  const path: string;
  export default path;
}
// The API reference page's script, from swagger-ui-dist (src/api/docs.ts).
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const path: string;
  export default path;
}
