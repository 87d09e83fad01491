"""Consent under the UAE PDPL: a withdrawal drops the subject's later events and purges their online rows.

The ledger lives in the online store's Redis (a hash pseudonym -> withdrawal time), so every consumer
replica and every materialization sees the same withdrawals. Re-consent goes through `grant`, never
through an event's own consent field: a stray "granted" event cannot undo a withdrawal.
"""

from __future__ import annotations

from datetime import datetime

import redis
from feast import FeatureStore
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value

from workloads.features.definitions import JOIN_KEY


def redis_client(store: FeatureStore) -> redis.Redis:
    """A redis-py client for the store's Redis online store (host:port[,ssl=true][,password=...][,db=N])."""
    parts = store.config.online_store.connection_string.split(",")
    host, _, port = parts[0].rpartition(":")
    options = dict(part.split("=", 1) for part in parts[1:] if "=" in part)
    return redis.Redis(
        host=host or "127.0.0.1",
        port=int(port or 6379),
        db=int(options.get("db", 0)),
        password=options.get("password") or None,
        username=options.get("username") or None,
        ssl=options.get("ssl", "false").lower() == "true",
        socket_timeout=10,
    )


def online_key(store: FeatureStore, applicant_id: str) -> bytes:
    """The Redis key under which Feast keeps every feature view of one applicant."""
    entity = EntityKey(join_keys=[JOIN_KEY], entity_values=[Value(string_val=applicant_id)])
    version = store.config.entity_key_serialization_version
    return serialize_entity_key(entity, entity_key_serialization_version=version) + store.project.encode()


class ConsentLedger:
    def __init__(self, store: FeatureStore, client: redis.Redis | None = None) -> None:
        self._store = store
        self._redis = client or redis_client(store)
        self._key = f"{store.project}:consent:withdrawn"

    def withdraw(self, applicant_id: str, at: datetime) -> None:
        """Records the withdrawal (the earliest one wins) and purges the subject's online rows."""
        self._redis.hsetnx(self._key, applicant_id, at.isoformat())
        self.purge(applicant_id)

    def grant(self, applicant_id: str) -> None:
        self._redis.hdel(self._key, applicant_id)

    def withdrawn_at(self, applicant_id: str) -> datetime | None:
        value = self._redis.hget(self._key, applicant_id)
        return datetime.fromisoformat(value.decode()) if value else None

    def withdrawn_among(self, applicant_ids: list[str]) -> set[str]:
        if not applicant_ids:
            return set()
        stamps = self._redis.hmget(self._key, applicant_ids)
        return {applicant_id for applicant_id, stamp in zip(applicant_ids, stamps, strict=True) if stamp}

    def withdrawn(self) -> set[str]:
        return {key.decode() for key in self._redis.hkeys(self._key)}

    def purge(self, applicant_id: str) -> bool:
        return bool(self._redis.delete(online_key(self._store, applicant_id)))

    def purge_all_withdrawn(self) -> int:
        """After a materialization: rows re-read from the offline store must not come back online."""
        return sum(self.purge(applicant_id) for applicant_id in self.withdrawn())
