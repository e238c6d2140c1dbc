// Users of the Okta stand-in in the e2e tests (login -> claims). Their
// e-mails match the sample org (examples/org.yaml) except where noted.
'use strict';

module.exports = {
  // Admin: in the Okta admin group (OKTA_ADMIN_GROUP 'Portal Admins').
  ada: {
    email: 'ada.lovelace@acme.example',
    name: 'Ada Lovelace',
    groups: ['Portal Admins', 'platform-team'],
  },
  // Owner of the payments entities through catalog membership.
  alan: {
    email: 'alan.turing@acme.example',
    name: 'Alan Turing',
    groups: ['payments-team'],
  },
  // In platform-team in the catalog; web-team only in Okta.
  grace: {
    email: 'grace.hopper@acme.example',
    name: 'Grace Hopper',
    groups: ['web-team', 'Everyone'],
  },
  // An ordinary web-team member.
  tim: {
    email: 'tim.berners-lee@acme.example',
    name: 'Tim Berners-Lee',
    groups: ['web-team'],
  },
  // Not in the catalog.
  stranger: {
    email: 'stranger@acme.example',
    name: 'Sam Stranger',
    groups: ['web-team'],
  },
  // Okta sends no e-mail for this one.
  nomail: { name: 'No Mail', groups: [] },
};
