import { brand } from '../theme/brand';

/** The Acme mark: a hexagon with a stylised "A". */
export const LogoIcon = () => (
  <svg
    xmlns="http://www.w3.org/2000/svg"
    viewBox="0 0 40 40"
    height={28}
    role="img"
    aria-label="Acme"
  >
    <polygon
      points="20,2 36,11 36,29 20,38 4,29 4,11"
      fill={brand.primary}
      stroke={brand.primaryLight}
      strokeWidth={2}
    />
    <path
      d="M13 28 L20 11 L27 28 M16 22 H24"
      fill="none"
      stroke="#ffffff"
      strokeWidth={3}
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  </svg>
);
