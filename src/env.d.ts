// Text imports of SQL files (Bun's `with { type: "text" }`), so they are embedded in the executable.
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
