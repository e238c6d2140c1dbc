/** Acme brand colours, shared by the theme and the logo. */
export const brand = {
  primary: '#0b6e4f',
  primaryLight: '#3fd69f',
  accent: '#f2a541',
  navy: '#10253f',
  navyDark: '#0a1726',
};
