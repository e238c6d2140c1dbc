// Users of the Okta stand-in in the e2e tests (login -> claims). Their
// e-mails match the sample org (examples/org.yaml) except where noted.
// Groups: OKTA_GROUP_PREFIX is 'portal-' (scripts/lib/portal.js), so
// portal-<name> counts as group:okta/<name>; 'Portal Admins'
// (OKTA_ADMIN_GROUP) is matched by exact name; 'Everyone' never counts.
'use strict';

module.exports = {
  // Admin: in the Okta admin group (OKTA_ADMIN_GROUP 'Portal Admins').
  ada: {
    email: 'ada.lovelace@acme.example',
    name: 'Ada Lovelace',
    groups: ['Portal Admins', 'portal-platform-team'],
  },
  // Owner of the payments entities through catalog membership.
  alan: {
    email: 'alan.turing@acme.example',
    name: 'Alan Turing',
    groups: ['portal-payments-team'],
  },
  // In platform-team in the catalog; web-team only in Okta.
  grace: {
    email: 'grace.hopper@acme.example',
    name: 'Grace Hopper',
    groups: ['portal-web-team', 'Everyone'],
  },
  // An ordinary web-team member.
  tim: {
    email: 'tim.berners-lee@acme.example',
    name: 'Tim Berners-Lee',
    groups: ['portal-web-team'],
  },
  // Tim again, in a group whose name only looks like the admin group.
  shouty: {
    email: 'tim.berners-lee@acme.example',
    name: 'Tim Berners-Lee',
    groups: ['PORTAL ADMINS!', 'portal-Portal Admins', 'portal-web-team'],
  },
  // Not in the catalog.
  stranger: {
    email: 'stranger@acme.example',
    name: 'Sam Stranger',
    groups: ['portal-web-team'],
  },
  // An e-mail built to add a second catalog filter (Ada's address).
  mallory: {
    email: 'x@acme.example,spec.profile.email=ada.lovelace@acme.example',
    name: 'Mallory',
    groups: ['portal-web-team'],
  },
  // Okta sends no e-mail for this one.
  nomail: { name: 'No Mail', groups: [] },
};
