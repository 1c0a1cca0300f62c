"""The public NATS API's gateway side: other systems' commands (from the JetStream
stream SKYCLUST_PUBLIC) and reads (request/reply) carried to the owning services with
the same contracts and the same role check as the REST routes, audited with the key as
actor; the workspace's events republished on the public subjects. The subject map is
`skyclust_common.public_api`; docs/nats-api.md tells the rules."""
