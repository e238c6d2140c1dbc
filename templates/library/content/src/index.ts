/** ${{ (values.description or values.name) | replace('*/', '* /') }} */

/** Says hello; replace with the library's first real function. */
export function greet(name: string): string {
  return `Hello ${name}, from ${{ values.name }}`;
}
