"""The bases of the models generated from contracts/ (events.py, commands.py, rpc.py).

`Part` is every generated model; a model of a whole message is a `Message`: `EventData`
for an event's data, `BusCommandData` for a bus command's, `RpcRequest` and `RpcReply`
for the two halves of an rpc, which an `Rpc` subclass names together
(`CreateCluster.Request`, `CreateCluster.Reply`).

What pydantic has no field type for is carried in the model's `json_schema_extra` by the
generator and checked here: a property that may be left out but is not nullable (pydantic
would take an explicit null for it), and an `anyOf` of `required` lists.

One difference is left: JSON Schema counts 5.0 as an integer, the models want 5 (strict
ints). No SkyClust sender writes one: a Python int is serialised as 5."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    TypeVar,
    get_args,
    get_origin,
)

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..errors import ContractViolation

if TYPE_CHECKING:
    from typing import Self

    from ..envelope import CloudEvent

NOT_NULL = "skyclust-not-null"
ANY_REQUIRED = "skyclust-any-required"
CONTRACT = "skyclust-contract"


class Part(BaseModel):
    # An object the schema leaves open keeps its unknown keys; the generated models of
    # closed objects (additionalProperties false) say extra="forbid". Each model's
    # validator is built on first use: a process needs only the messages it handles.
    # A message may carry a secret: a validation error never quotes the input.
    model_config = ConfigDict(extra="allow", defer_build=True, hide_input_in_errors=True)

    _not_null: ClassVar[frozenset[str]] = frozenset()
    _any_required: ClassVar[tuple[frozenset[str], ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        extra = cls.model_config.get("json_schema_extra")
        if isinstance(extra, dict):
            not_null: Any = extra.get(NOT_NULL) or ()
            groups: Any = extra.get(ANY_REQUIRED) or ()
            cls._not_null = frozenset(not_null)
            cls._any_required = tuple(frozenset(group) for group in groups)

    @model_validator(mode="before")
    @classmethod
    def _schema_rules(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key in cls._not_null:
                if key in data and data[key] is None:
                    raise ValueError(f"{key} may be left out, but not null")
            if cls._any_required and not any(g <= data.keys() for g in cls._any_required):
                names = " or ".join("+".join(sorted(g)) for g in cls._any_required)
                raise ValueError(f"one of {names} is required")
        return data


class Message(Part):
    """The model of one contract (or of one half of an rpc contract)."""

    # Upper case: a contract's properties are snake case, and some are named `name` or
    # `version`.
    CONTRACT: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1
    PART: ClassVar[str | None] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        extra = cls.model_config.get("json_schema_extra")
        if isinstance(extra, dict) and isinstance(about := extra.get(CONTRACT), dict):
            cls.CONTRACT = str(about["name"])
            cls.VERSION = int(str(about["version"]))

    @classmethod
    def parse(cls, data: Any) -> Self:
        """`data` as this model, or a ContractViolation naming the field (never its
        value), as the contract registry words it."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            first = error.errors(include_input=False, include_url=False)[0]
            where = "/".join(str(p) for p in first["loc"]) or "(root)"
            part = f" {cls.PART}" if cls.PART else ""
            raise ContractViolation(
                f"{cls.CONTRACT} v{cls.VERSION}{part} invalid at {where}: {first['msg']}",
                details={"contract": cls.CONTRACT, "version": cls.VERSION, "path": where},
            ) from None

    def to_data(self) -> dict[str, Any]:
        """The message as the bus carries it: JSON types, fields never set left out
        (an optional property the schema does not allow null for must be absent)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


Delivery = TypeVar("Delivery")
Context = TypeVar("Context")
Deps = TypeVar("Deps")


class EventData(Message):
    """The `data` of an event."""

    @classmethod
    def from_event(cls, event: CloudEvent) -> Self:
        if event.name != cls.CONTRACT or event.version != cls.VERSION:
            raise ContractViolation(
                f"{event.type} is not {cls.CONTRACT} v{cls.VERSION}",
                details={"contract": cls.CONTRACT, "version": cls.VERSION},
            )
        return cls.parse(event.data)

    @classmethod
    def handler(
        cls, handle: Callable[[Self, CloudEvent, Delivery], Awaitable[None]]
    ) -> Callable[[CloudEvent, Delivery], Awaitable[None]]:
        """An event handler `(event, delivery)` that gives `handle` the parsed data
        first, for a dispatcher by event name:
        `{"ClusterReady": ClusterReady.handler(on_cluster_ready), ...}`."""

        async def typed(event: CloudEvent, delivery: Delivery) -> None:
            await handle(cls.from_event(event), event, delivery)

        return typed


class BusCommandData(EventData):
    """The `data` of a bus command (contracts/commands): it travels in the same envelope."""


class RpcRequest(Message):
    """The request half of an rpc contract."""

    PART = "request"


class RpcReply(Message):
    """The reply half of an rpc contract."""

    PART = "reply"


RequestT = TypeVar("RequestT", bound=RpcRequest)
ReplyT = TypeVar("ReplyT", bound=RpcReply)
RpcKind = Literal["command", "query"]


class Requester(Protocol):
    """What sends a request and awaits its reply (the bus)."""

    async def request(
        self, service: str, name: str, data: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]: ...


class Rpc(Generic[RequestT, ReplyT]):
    """An rpc contract's pair of models: `CreateCluster.Request` and `.Reply` are the
    types, `CreateCluster.request(data)` and `.reply(data)` parse a dict into them (or
    raise ContractViolation)."""

    CONTRACT: ClassVar[str]
    VERSION: ClassVar[int] = 1
    KIND: ClassVar[RpcKind]
    request_model: ClassVar[type[RpcRequest]]
    reply_model: ClassVar[type[RpcReply]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if get_origin(base) is Rpc:
                cls.request_model, cls.reply_model = get_args(base)

    @classmethod
    def request(cls, data: Any) -> RequestT:
        return cls.request_model.parse(data)  # type: ignore[return-value]

    @classmethod
    def reply(cls, data: Any) -> ReplyT:
        return cls.reply_model.parse(data)  # type: ignore[return-value]

    @classmethod
    def handler(
        cls, handle: Callable[[RequestT, Context], Awaitable[ReplyT]]
    ) -> Callable[[dict[str, Any], Context], Awaitable[dict[str, Any]]]:
        """An rpc handler for the bus around a typed one:
        `bus.serve("CreateCluster", CreateCluster.handler(create_cluster))`."""

        async def typed(data: dict[str, Any], ctx: Context) -> dict[str, Any]:
            return (await handle(cls.request(data), ctx)).to_data()

        return typed

    @classmethod
    def served(
        cls, handle: Callable[[Deps, RequestT, Context], Awaitable[dict[str, Any]]]
    ) -> Callable[[Deps, dict[str, Any], Context], Awaitable[dict[str, Any]]]:
        """A handler for `serve_handlers` (`(deps, data, ctx)`) around one that takes the
        request as this contract's model and answers the reply's data."""

        async def typed(deps: Deps, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
            return await handle(deps, cls.request(data), ctx)

        return typed

    @classmethod
    async def call(
        cls, bus: Requester, service: str, request: RequestT, *, timeout: float | None = None
    ) -> ReplyT:
        """Send `request` to `service` and parse its reply:
        `cluster = await GetCluster.call(bus, "provisioning", GetCluster.Request(...))`."""
        data = await bus.request(service, cls.CONTRACT, request.to_data(), timeout=timeout)
        return cls.reply(data)
