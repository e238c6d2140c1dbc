import { brand } from '../theme/brand';
import { LogoIcon } from './LogoIcon';

/** The Acme mark with the portal's name, for the open sidebar. */
export const LogoFull = () => (
  <span style={{ display: 'inline-flex', alignItems: 'center', gap: 8 }}>
    <LogoIcon />
    <span
      style={{
        color: '#ffffff',
        fontWeight: 700,
        fontSize: 18,
        letterSpacing: 0.5,
        whiteSpace: 'nowrap',
      }}
    >
      Acme <span style={{ color: brand.primaryLight }}>Portal</span>
    </span>
  </span>
);
