import {
  createBaseThemeOptions,
  createUnifiedTheme,
  genPageTheme,
  palettes,
  shapes,
} from '@backstage/theme';
import { brand } from './brand';

const pageTheme = {
  home: genPageTheme({
    colors: [brand.primary, brand.navy],
    shape: shapes.wave,
  }),
  documentation: genPageTheme({
    colors: [brand.primary, brand.navy],
    shape: shapes.wave2,
  }),
  tool: genPageTheme({
    colors: [brand.primary, brand.navy],
    shape: shapes.round,
  }),
  service: genPageTheme({
    colors: [brand.primary, brand.navy],
    shape: shapes.wave,
  }),
  website: genPageTheme({
    colors: [brand.primary, brand.navy],
    shape: shapes.wave,
  }),
  library: genPageTheme({
    colors: [brand.primary, brand.navy],
    shape: shapes.wave,
  }),
  other: genPageTheme({
    colors: [brand.primary, brand.navy],
    shape: shapes.wave,
  }),
  app: genPageTheme({
    colors: [brand.primary, brand.navy],
    shape: shapes.wave,
  }),
  apis: genPageTheme({
    colors: [brand.accent, brand.navy],
    shape: shapes.wave2,
  }),
};

export const acmeLightTheme = createUnifiedTheme({
  ...createBaseThemeOptions({
    palette: {
      ...palettes.light,
      primary: { main: brand.primary },
      secondary: { main: brand.accent },
      navigation: {
        ...palettes.light.navigation,
        background: brand.navy,
        indicator: brand.primaryLight,
        selectedColor: '#ffffff',
      },
    },
  }),
  pageTheme,
  defaultPageTheme: 'home',
});

export const acmeDarkTheme = createUnifiedTheme({
  ...createBaseThemeOptions({
    palette: {
      ...palettes.dark,
      primary: { main: brand.primaryLight },
      secondary: { main: brand.accent },
      navigation: {
        ...palettes.dark.navigation,
        background: '#0a1726',
        indicator: brand.primaryLight,
        selectedColor: '#ffffff',
      },
    },
  }),
  pageTheme,
  defaultPageTheme: 'home',
});
