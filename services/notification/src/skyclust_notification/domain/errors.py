"""The notification service's errors: one class per code it raises."""

from __future__ import annotations

from skyclust_common.errors import NotFound, PermanentFailure, ServiceUnavailable, ValidationFailed


class NotificationNotFound(NotFound):
    """No notification of that id in the caller's inbox (another user's is not found
    either)."""

    code = "NOTIFICATION_NOT_FOUND"
    default_message = "notification not found"


class InvalidNotificationCursor(ValidationFailed):
    """The cursor is not a `next_cursor` this listing returned."""

    code = "INVALID_NOTIFICATION_CURSOR"
    default_message = "cursor must be the next_cursor of a previous page"


class DuplicateNotification(Exception):
    """The store already holds this user's notification for this event: a redelivery
    that raced another instance. Not an error of the API."""


class MailRefused(PermanentFailure):
    """The mail server refused the recipient: sending again cannot help."""

    code = "MAIL_REFUSED"
    default_message = "the mail server refused the address"


class MailUnavailable(ServiceUnavailable):
    """The mail server could not be reached or failed; the mail is sent again later."""

    code = "MAIL_UNAVAILABLE"
    default_message = "the mail server could not be reached"


class WebhookUrlInvalid(ValidationFailed):
    """The webhook URL is not an http(s) URL with a host that resolves."""

    code = "WEBHOOK_URL_INVALID"
    default_message = "the webhook URL must be an http(s) URL whose host resolves"


class WebhookAddressRefused(ValidationFailed):
    """The webhook's host is, or resolves to, an address SkyClust does not send to
    (loopback, private, link-local, multicast, unspecified, cloud metadata)."""

    code = "WEBHOOK_ADDRESS_REFUSED"
    default_message = "webhooks may not be sent to this address"


class ChannelNotFound(NotFound):
    """No notification channel of that id in the caller's workspace."""

    code = "NOTIFICATION_CHANNEL_NOT_FOUND"
    default_message = "notification channel not found"


class DeliveryNotFound(NotFound):
    """No webhook delivery of that id in the caller's workspace."""

    code = "WEBHOOK_DELIVERY_NOT_FOUND"
    default_message = "webhook delivery not found"


class ChannelTypeMismatch(ValidationFailed):
    """The request does not fit the channel's type (a URL on an email channel, a secret
    rotation of a channel that has no secret, ...)."""

    code = "NOTIFICATION_CHANNEL_TYPE_MISMATCH"
    default_message = "the request does not fit this channel's type"


class RuleNotFound(NotFound):
    """No notification rule of that id in the caller's workspace."""

    code = "NOTIFICATION_RULE_NOT_FOUND"
    default_message = "notification rule not found"


class InvalidRuleTags(ValidationFailed):
    """A rule's tag filter has a key or value no resource can carry (an empty or too
    long key, a value over 256 characters, control characters), or too many tags."""

    code = "NOTIFICATION_RULE_TAGS_INVALID"
    default_message = (
        "tags must be at most 20 keys of 1-128 characters with values of at most 256, "
        "without control characters"
    )
