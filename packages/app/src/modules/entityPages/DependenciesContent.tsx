import Grid from '@material-ui/core/Grid';
import {
  EntityDependencyOfComponentsCard,
  EntityDependsOnComponentsCard,
  EntityDependsOnResourcesCard,
} from '@backstage/plugin-catalog';

/** What a component depends on, and what depends on it. */
export const DependenciesContent = () => (
  <Grid container spacing={3} alignItems="stretch">
    <Grid item md={6} xs={12}>
      <EntityDependsOnComponentsCard variant="gridItem" />
    </Grid>
    <Grid item md={6} xs={12}>
      <EntityDependsOnResourcesCard variant="gridItem" />
    </Grid>
    <Grid item md={12} xs={12}>
      <EntityDependencyOfComponentsCard variant="gridItem" />
    </Grid>
  </Grid>
);
