import {
  createBaseThemeOptions,
  createUnifiedTheme,
  genPageTheme,
  palettes,
  shapes,
} from '@backstage/theme';
import { brand } from './brand';

const page = (shape: string, accent = brand.primary) =>
  genPageTheme({ colors: [accent, brand.navy], shape });

// Every page kind gets the brand gradient; API pages use the accent colour.
const pageTheme = {
  home: page(shapes.wave),
  documentation: page(shapes.wave2),
  tool: page(shapes.round),
  service: page(shapes.wave),
  website: page(shapes.wave),
  library: page(shapes.wave),
  other: page(shapes.wave),
  app: page(shapes.wave),
  apis: page(shapes.wave2, brand.accent),
};

function acmeTheme(variant: 'light' | 'dark') {
  const base = variant === 'light' ? palettes.light : palettes.dark;
  return createUnifiedTheme({
    ...createBaseThemeOptions({
      palette: {
        ...base,
        primary: {
          main: variant === 'light' ? brand.primary : brand.primaryLight,
        },
        secondary: { main: brand.accent },
        navigation: {
          ...base.navigation,
          background: variant === 'light' ? brand.navy : brand.navyDark,
          indicator: brand.primaryLight,
          selectedColor: '#ffffff',
        },
      },
    }),
    pageTheme,
    defaultPageTheme: 'home',
  });
}

export const acmeLightTheme = acmeTheme('light');
export const acmeDarkTheme = acmeTheme('dark');
