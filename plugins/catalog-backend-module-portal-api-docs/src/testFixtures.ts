/**
 * An OpenAPI document whose YAML aliases expand tenfold per level
 * (`levels` 5 -> 100,000 scalars from a few hundred bytes). Tests only.
 */
export function aliasBomb(levels: number): string {
  const names = 'abcdefghij'.slice(0, levels + 1).split('');
  const lines = ['openapi: 3.0.0', 'info: { title: bomb, version: "1" }'];
  lines.push(`${names[0]}: &${names[0]} [${Array(10).fill('x').join(', ')}]`);
  for (let i = 1; i < names.length; i++) {
    const anchor = i < names.length - 1 ? ` &${names[i]}` : '';
    lines.push(
      `${names[i]}:${anchor} [${Array(10)
        .fill(`*${names[i - 1]}`)
        .join(', ')}]`,
    );
  }
  return lines.join('\n');
}
