"""The routing problem's input and output, as plain frozen dataclasses.

Everything is an integer in metres, seconds and kilograms because PyVRP works on
integers only; times are seconds from the start of the planning day (the service
decides which midnight that is). Locations are numbered depots first, then requests,
in the order given: that is the order of a user-supplied matrix too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, NamedTuple, get_args

import numpy as np
import numpy.typing as npt

from core.errors import InvalidInput
from core.text import Text, phrase
from dispatch.distances import DEFAULT_ROAD_FACTOR, DEFAULT_SPEED_KMH, build_matrices

Priority = Literal["urgent", "normal"]
UnassignedReason = Literal[
    "too_heavy",
    "window_unreachable",
    "capacity_exhausted",
    "time_exhausted",
    "no_vehicles",
    "removed_by_dispatcher",
]
"""Why a request is left off: the planner's findings, or the dispatcher's hand edit."""

DAY_S = 24 * 3600
DEFAULT_SERVICE_S = 10 * 60
"""Default time at a compound's gate (design: 10 minutes per stop)."""

IntMatrix = npt.NDArray[np.int64]


class RoutingInputError(InvalidInput, ValueError):
    """Routing input that breaks a rule; a ValueError for plain callers, a 422 for the API."""


class TimeLimitOutOfRange(RoutingInputError):
    """The solver time limit is outside the range the service allows."""


def _require(condition: bool, message: Text) -> None:
    """Raise RoutingInputError with ``message`` unless ``condition`` holds."""
    if not condition:
        raise RoutingInputError(message)


def _check_coordinates(what: Text, lat: float, lon: float) -> None:
    """Reject coordinates that cannot be on Earth, which would give nonsense distances."""
    _require(
        math.isfinite(lat) and -90.0 <= lat <= 90.0,
        phrase("{what}: latitude {lat} not in [-90, 90]", what=what, lat=lat),
    )
    _require(
        math.isfinite(lon) and -180.0 <= lon <= 180.0,
        phrase("{what}: longitude {lon} not in [-180, 180]", what=what, lon=lon),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Depot:
    """A warehouse trucks leave from and return to, open from ``opens_s`` to ``closes_s``."""

    key: str
    lat: float
    lon: float
    opens_s: int = 0
    closes_s: int = DAY_S

    def __post_init__(self) -> None:
        _require(bool(self.key), phrase("depot key must not be empty"))
        _check_coordinates(phrase("depot {key}", key=self.key), self.lat, self.lon)
        _require(
            0 <= self.opens_s <= self.closes_s,
            phrase(
                "depot {key}: opening hours {opens}..{closes} s are not ordered",
                key=self.key,
                opens=self.opens_s,
                closes=self.closes_s,
            ),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Vehicle:
    """One truck (``key`` is its plate) working a shift from its depot and back."""

    key: str
    depot_key: str
    capacity_kg: int
    shift_start_s: int
    shift_end_s: int
    max_duration_s: int | None = None

    def __post_init__(self) -> None:
        _require(bool(self.key), phrase("vehicle key (plate) must not be empty"))
        _require(
            self.capacity_kg > 0, phrase("vehicle {key}: capacity must be positive", key=self.key)
        )
        _require(
            0 <= self.shift_start_s <= self.shift_end_s,
            phrase(
                "vehicle {key}: shift {start}..{end} s is not ordered",
                key=self.key,
                start=self.shift_start_s,
                end=self.shift_end_s,
            ),
        )
        _require(
            self.max_duration_s is None or self.max_duration_s > 0,
            phrase("vehicle {key}: max duration must be positive", key=self.key),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Request:
    """A delivery to a compound: ``demand_kg`` to hand over, service starting in the window."""

    key: str
    lat: float
    lon: float
    demand_kg: int
    priority: Priority = "normal"
    window_start_s: int = 0
    window_end_s: int = DAY_S
    service_s: int = DEFAULT_SERVICE_S

    def __post_init__(self) -> None:
        _require(bool(self.key), phrase("request key must not be empty"))
        _check_coordinates(phrase("request {key}", key=self.key), self.lat, self.lon)
        _require(
            self.demand_kg >= 0, phrase("request {key}: demand must not be negative", key=self.key)
        )
        _require(
            self.priority in get_args(Priority),
            phrase(
                "request {key}: priority {priority!r} is not 'urgent' or 'normal'",
                key=self.key,
                priority=self.priority,
            ),
        )
        _require(
            0 <= self.window_start_s <= self.window_end_s,
            phrase(
                "request {key}: window {start}..{end} s is not ordered",
                key=self.key,
                start=self.window_start_s,
                end=self.window_end_s,
            ),
        )
        _require(
            self.service_s >= 0,
            phrase("request {key}: service time must not be negative", key=self.key),
        )


Stop = Request
"""The design calls a request's visit a stop; both names denote the same input."""


def _as_matrix(name: Text, values: Sequence[Sequence[int]] | IntMatrix, size: int) -> IntMatrix:
    """A read-only int64 copy of a user matrix, checked for shape and sign; ``name`` says
    in words which matrix a problem is about."""
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise RoutingInputError(
            "{name}: not a numeric matrix ({reason})", name=name, reason=str(error)
        ) from None
    _require(
        array.shape == (size, size),
        phrase(
            "{name}: shape {shape} but {size} locations (depots first, then requests)",
            name=name,
            shape=array.shape,
            size=size,
        ),
    )
    _require(
        bool(np.isfinite(array).all()),
        phrase("{name}: contains NaN or infinite values", name=name),
    )
    _require(bool((array >= 0).all()), phrase("{name}: contains negative values", name=name))
    _require(
        bool((array == np.round(array)).all()), phrase("{name}: values must be integers", name=name)
    )
    matrix = array.astype(np.int64)
    matrix.setflags(write=False)
    return matrix


@dataclass(frozen=True, init=False, eq=False)
class RoutingProblem:
    """Depots, trucks and requests to plan, with the travel matrices between their locations.

    ``distance_m`` and ``duration_s`` are over all locations, depots first then requests;
    without them both are computed from coordinates (haversine x ``road_factor`` at
    ``speed_kmh``). A distance matrix alone gets durations at ``speed_kmh``.
    """

    depots: tuple[Depot, ...]
    vehicles: tuple[Vehicle, ...]
    requests: tuple[Request, ...]
    distance_m: IntMatrix | None = field(default=None, repr=False)
    duration_s: IntMatrix | None = field(default=None, repr=False)
    road_factor: float = DEFAULT_ROAD_FACTOR
    speed_kmh: float = DEFAULT_SPEED_KMH

    def __init__(
        self,
        *,
        depots: Sequence[Depot],
        vehicles: Sequence[Vehicle],
        requests: Sequence[Request],
        distance_m: Sequence[Sequence[int]] | IntMatrix | None = None,
        duration_s: Sequence[Sequence[int]] | IntMatrix | None = None,
        road_factor: float = DEFAULT_ROAD_FACTOR,
        speed_kmh: float = DEFAULT_SPEED_KMH,
    ) -> None:
        setter = object.__setattr__
        setter(self, "depots", tuple(depots))
        setter(self, "vehicles", tuple(vehicles))
        setter(self, "requests", tuple(requests))
        setter(self, "road_factor", road_factor)
        setter(self, "speed_kmh", speed_kmh)
        size = len(self.depots) + len(self.requests)
        _require(
            duration_s is None or distance_m is not None,
            phrase("travel times need road distances too"),
        )
        setter(
            self,
            "distance_m",
            None
            if distance_m is None
            else _as_matrix(phrase("the road distances"), distance_m, size),
        )
        setter(
            self,
            "duration_s",
            None
            if duration_s is None
            else _as_matrix(phrase("the travel times"), duration_s, size),
        )
        self._validate()

    def _validate(self) -> None:
        """Keys unique, trucks at known depots, road factor and speed sensible."""
        _require(
            self.road_factor >= 1.0 and math.isfinite(self.road_factor),
            phrase("road factor {factor} must be a finite number >= 1", factor=self.road_factor),
        )
        _require(
            self.speed_kmh > 0 and math.isfinite(self.speed_kmh),
            phrase("average speed {speed} km/h must be positive", speed=self.speed_kmh),
        )
        for kind, keys in (
            (phrase("depot"), [d.key for d in self.depots]),
            (phrase("vehicle"), [v.key for v in self.vehicles]),
            (phrase("request"), [r.key for r in self.requests]),
        ):
            duplicates = sorted({k for k in keys if keys.count(k) > 1})
            _require(
                not duplicates,
                phrase("duplicate {kind} keys: {keys}", kind=kind, keys=", ".join(duplicates)),
            )
        depot_keys = {d.key for d in self.depots}
        for vehicle in self.vehicles:
            _require(
                vehicle.depot_key in depot_keys,
                phrase(
                    "vehicle {key}: unknown depot {depot!r}",
                    key=vehicle.key,
                    depot=vehicle.depot_key,
                ),
            )
        _require(
            bool(self.depots) or not self.vehicles,
            phrase("vehicles given but no depot to start from"),
        )

    @cached_property
    def depot_index(self) -> dict[str, int]:
        """Depot key to its location index (depots come first)."""
        return {depot.key: index for index, depot in enumerate(self.depots)}

    @cached_property
    def request_index(self) -> dict[str, int]:
        """Request key to its position in ``requests``."""
        return {request.key: index for index, request in enumerate(self.requests)}

    @cached_property
    def vehicle_by_key(self) -> dict[str, Vehicle]:
        """Vehicle plate to vehicle."""
        return {vehicle.key: vehicle for vehicle in self.vehicles}

    def request_location(self, key: str) -> int:
        """Location index of a request: after all depots, in request order."""
        return len(self.depots) + self.request_index[key]

    @cached_property
    def _matrices(self) -> tuple[IntMatrix, IntMatrix]:
        if self.distance_m is not None:
            if self.duration_s is not None:
                return self.distance_m, self.duration_s
            speed_m_per_s = self.speed_kmh / 3.6
            duration = np.rint(self.distance_m / speed_m_per_s).astype(np.int64)
            duration.setflags(write=False)
            return self.distance_m, duration
        points = [(d.lat, d.lon) for d in self.depots] + [(r.lat, r.lon) for r in self.requests]
        distance, duration = build_matrices(
            points=points, road_factor=self.road_factor, speed_kmh=self.speed_kmh
        )
        distance.setflags(write=False)
        duration.setflags(write=False)
        return distance, duration

    def matrices(self) -> tuple[IntMatrix, IntMatrix]:
        """(distance in metres, duration in seconds) over all locations, computed once."""
        return self._matrices


class Unassigned(NamedTuple):
    """A request left out of the plan, and why (so it is never silently dropped)."""

    request_key: str
    reason: UnassignedReason


@dataclass(frozen=True, kw_only=True, slots=True)
class PlannedStop:
    """One delivery on a route: when the truck arrives, waits, serves and leaves."""

    request_key: str
    part: int | None
    """Index of the delivery part (0-based) when the request was split, else None."""
    load_kg: int
    """Kilograms handed over at this stop."""
    arrival_s: int
    wait_s: int
    """Waiting before the window opens; service starts at ``arrival_s + wait_s``."""
    departure_s: int
    distance_m: int
    """Distance driven from the previous stop (or the depot)."""

    @property
    def service_start_s(self) -> int:
        """When unloading begins: arrival plus any wait for the window."""
        return self.arrival_s + self.wait_s


@dataclass(frozen=True, kw_only=True, slots=True)
class PlannedRoute:
    """One truck's trip: depot, stops in order, back to the same depot."""

    vehicle_key: str
    depot_key: str
    start_s: int
    """Departure from the depot."""
    end_s: int
    """Return to the depot."""
    stops: list[PlannedStop]
    return_distance_m: int
    """Distance from the last stop back to the depot."""

    @property
    def distance_m(self) -> int:
        """Whole route, depot to depot."""
        return sum(stop.distance_m for stop in self.stops) + self.return_distance_m

    @property
    def duration_s(self) -> int:
        """Depot departure to depot return, waits included."""
        return self.end_s - self.start_s

    @property
    def load_kg(self) -> int:
        """Everything loaded at the depot for this route."""
        return sum(stop.load_kg for stop in self.stops)


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """Routes of the trucks that have work, and every request left out with its reason."""

    routes: list[PlannedRoute]
    unassigned: list[Unassigned]
    runtime_s: float = 0.0
    """Wall-clock seconds the solver ran (0 for a plan evaluated without solving)."""
    urgent_fallback: bool = False
    """True when the urgent requests alone could not all be served and the solver had to
    choose which to serve first."""

    @property
    def total_distance_m(self) -> int:
        """Sum of route distances: what the solver minimises."""
        return sum(route.distance_m for route in self.routes)

    @property
    def total_duration_s(self) -> int:
        """Sum of route durations (truck-seconds on the road)."""
        return sum(route.duration_s for route in self.routes)

    @property
    def total_load_kg(self) -> int:
        """Kilograms delivered by the whole plan."""
        return sum(route.load_kg for route in self.routes)

    @property
    def vehicles_used(self) -> int:
        """Trucks with at least one stop."""
        return len(self.routes)

    def route_for(self, vehicle_key: str) -> PlannedRoute | None:
        """The route of one truck, or None when it stays at the depot."""
        return next((r for r in self.routes if r.vehicle_key == vehicle_key), None)

    def delivered_kg(self, request_key: str) -> int:
        """Kilograms of a request this plan delivers (less than its demand when partial)."""
        return sum(
            stop.load_kg
            for route in self.routes
            for stop in route.stops
            if stop.request_key == request_key
        )
