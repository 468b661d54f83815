/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every public name in one place: bus names, paths, errors, actions, journal ids. */

#define FWCTLD_BUS_NAME "org.freedesktop.fwctl1"
#define FWCTLD_MANAGER_PATH "/org/freedesktop/fwctl1"
#define FWCTLD_DEVICE_PATH_PREFIX "/org/freedesktop/fwctl1/device"
#define FWCTLD_MANAGER_INTERFACE "org.freedesktop.fwctl1.Manager"
#define FWCTLD_DEVICE_INTERFACE "org.freedesktop.fwctl1.Device"

#define FWCTLD_ERROR_PREFIX "org.freedesktop.fwctl1.Error."
#define FWCTLD_ERROR_NO_SUCH_DEVICE FWCTLD_ERROR_PREFIX "NoSuchDevice"
#define FWCTLD_ERROR_DEVICE_GONE FWCTLD_ERROR_PREFIX "DeviceGone"
#define FWCTLD_ERROR_INVALID_SCOPE FWCTLD_ERROR_PREFIX "InvalidScope"
#define FWCTLD_ERROR_SCOPE_TOO_LOW FWCTLD_ERROR_PREFIX "ScopeTooLow"
#define FWCTLD_ERROR_REQUEST_REJECTED FWCTLD_ERROR_PREFIX "RequestRejected"
#define FWCTLD_ERROR_PAYLOAD_TOO_LARGE FWCTLD_ERROR_PREFIX "PayloadTooLarge"
#define FWCTLD_ERROR_NOT_AUTHORIZED FWCTLD_ERROR_PREFIX "NotAuthorized"
#define FWCTLD_ERROR_NOT_SUPPORTED FWCTLD_ERROR_PREFIX "NotSupported"
#define FWCTLD_ERROR_BUSY FWCTLD_ERROR_PREFIX "Busy"
#define FWCTLD_ERROR_DEVICE_ERROR FWCTLD_ERROR_PREFIX "DeviceError"
#define FWCTLD_ERROR_INVALID_ARGUMENTS FWCTLD_ERROR_PREFIX "InvalidArguments"
#define FWCTLD_ERROR_NO_SUCH_OPERATION FWCTLD_ERROR_PREFIX "NoSuchOperation"
#define FWCTLD_ERROR_PLUGIN_MISSING FWCTLD_ERROR_PREFIX "PluginMissing"
#define FWCTLD_ERROR_AUDIT_FAILED FWCTLD_ERROR_PREFIX "AuditFailed"
#define FWCTLD_ERROR_INTERACTIVE_AUTH_REQUIRED "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"

#define FWCTLD_POLKIT_ACTION_PREFIX "org.freedesktop.fwctl1."

#define FWCTLD_POLKIT_BUS_NAME "org.freedesktop.PolicyKit1"
#define FWCTLD_POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define FWCTLD_POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"

/* MESSAGE_IDs, documented in systemd/fwctld.catalog. */
#define FWCTLD_MESSAGE_RPC_ATTEMPT "eb625ee66c5e4d54a5647a3ceb9895e1"
#define FWCTLD_MESSAGE_RPC_RESULT "f50e156c71714753b7f2153eb4430df0"
#define FWCTLD_MESSAGE_AUTH_DENIED "bf60d8a981034db6b13b43d67eba051d"
#define FWCTLD_MESSAGE_DEVICE_ADDED "935491da429e4a4ca4f6900714ecb8a9"
#define FWCTLD_MESSAGE_DEVICE_REMOVED "cffb21bb4bd9413fbefa3d42e80a3de1"
#define FWCTLD_MESSAGE_STARTED "a43a151d30d14e7b94fbf826d9b2e8b1"
#define FWCTLD_MESSAGE_PLUGIN_REJECTED "c6c359fbd1ed460ca1cb1530e9f6ccf4"
#define FWCTLD_MESSAGE_DENIALS_SUPPRESSED "524d9a39ac2e45b085b03c21f8c96d22"
#define FWCTLD_MESSAGE_SESSION_OPENED "1f109dc7d1d54517ab4276e3999d0cc3"
#define FWCTLD_MESSAGE_SESSION_CLOSED "d9fe3f47814e4003bd9699b8836c39f4"

/* Authorised sessions: how long one lasts unused and in all (configurable, fwctld(8)). */
#define FWCTLD_SESSION_IDLE_USEC (5ULL * 60ULL * 1000000ULL)
#define FWCTLD_SESSION_MAX_USEC (30ULL * 60ULL * 1000000ULL)
#define FWCTLD_MAX_SESSIONS_PER_UID 16u
/* A stocked RpcFd response memfd (memfd-stock.h) is given back after this long unused. */
#define FWCTLD_MEMFD_STOCK_IDLE_USEC (5ULL * 1000000ULL)
#define FWCTLD_SESSION_PATH_PREFIX "/org/freedesktop/fwctl1/session"
#define FWCTLD_SESSION_INTERFACE "org.freedesktop.fwctl1.Session"

/* Denial records per uid: at most this many per window, then one summary record. */
#define FWCTLD_DENIAL_RECORDS_BURST 10u
#define FWCTLD_DENIAL_RECORDS_WINDOW_USEC (10ULL * 1000000ULL)

/* Limits on what callers can make the daemon hold (share.c; docs/dbus-api.md). Per uid, since
 * bus connections are free to open; root is limited too. */
#define FWCTLD_MAX_CALLS_PER_DEVICE 256u
#define FWCTLD_MAX_CALLS_PER_UID 64u
#define FWCTLD_MAX_BYTES_PER_UID (64ull * 1024ull * 1024ull)
/* What all calls in progress hold together; each uid may always hold its guaranteed floor. */
#define FWCTLD_MAX_PENDING_BYTES (256ull * 1024ull * 1024ull)
#define FWCTLD_GUARANTEED_BYTES_PER_UID (16ull * 1024ull * 1024ull)
/* What any call holds besides what it carries: its message, its Call. */
#define FWCTLD_CALL_OVERHEAD_BYTES 512u
/* polkit checks in flight: well below dbus-daemon's 128 pending replies per connection. */
#define FWCTLD_MAX_CHECKS_PER_UID 16u
#define FWCTLD_MAX_CHECKS 64u
/*
 * Bounded polkit waits: a check is answered (or fails) within these. An interactive one may
 * wait on an authentication agent while a human types a password, but an agent that never
 * answers must not hold the caller's share (and a bus pending reply) for minutes.
 */
#define FWCTLD_POLKIT_TIMEOUT_USEC (20ULL * 1000000ULL)
#define FWCTLD_POLKIT_INTERACTIVE_TIMEOUT_USEC (60ULL * 1000000ULL)
#define FWCTLD_CHECKS_RESERVE 16u
/* A call that could not start within this is refused at once (clients time out at 25 s). */
#define FWCTLD_MAX_EXPECTED_WAIT_USEC (20ULL * 1000000ULL)

#define FWCTLD_TAINTED_PATH "/proc/sys/kernel/tainted"
