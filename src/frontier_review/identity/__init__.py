"""Organizations, users, sessions and API tokens.

What other areas may use (import the submodule; this package imports nothing, so the CLI starts
fast and no area's import pulls in another's services):

- ``directory``: system reads of people and organizations as frozen cards (``Person``,
  ``OrganizationCard``, ``find_person``, ``get_organization``, ``list_members``, …);
- ``service``: use cases on organizations, users, sign-in, sessions and tokens, with their views
  (``OrganizationView``, ``UserView``, ``TokenView``);
- ``invitations``: membership by one-time mailed link (``invite_member``, ``accept_invitation``);
- ``mailbox``: the signed-in person's own mail (``my_mail``);
- ``domain``: pure rules and refs (``Sector``, ``normalise_name``, ``name_key``, …);
- ``tags``: ``IdentityTag``, the actions identity records;
- ``summary``: locked accounts, for those who may unlock them (``locked_accounts``);
- ``browse``: the organizations table's page (``page_organizations``) and names of audit targets.

``orm``, ``policy``, ``api``, ``web`` and ``schemas`` are for the composition root and the area itself.
"""

__all__ = ["browse", "directory", "domain", "invitations", "mailbox", "service", "summary", "tags"]
