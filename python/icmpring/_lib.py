"""_lib.py - owns the ctypes binding to libicmpring.so.0.

Every structure here mirrors include/icmpring.h field for field; the test
tests/python/test_layout.py compares their sizes and offsets with what the
C compiler says (tests/python/struct-layout.c), so a field added to the
header without its twin here fails the build's tests.

The library is found through $ICMPRING_LIBRARY (a path, for uninstalled
builds) or else the loader's normal search for libicmpring.so.0.
"""
import ctypes
import os
import socket

from ctypes import (POINTER, Structure, Union, CFUNCTYPE, c_bool, c_char_p,
                    c_double, c_int, c_int64, c_size_t, c_uint, c_uint8, c_uint16,
                    c_uint32, c_uint64, c_void_p)

SONAME = 'libicmpring.so.0'

AF_UNSPEC = 0
AF_INET = socket.AF_INET
AF_INET6 = socket.AF_INET6

ICR_PRIVILEGED, ICR_UNPRIVILEGED, ICR_PRIV_AUTO = 0, 1, 2

ICR_SWEEP_SINGLE_RECV = 1 << 0
ICR_SWEEP_ALL_REPLIES = 1 << 1
ICR_SWEEP_NO_URING = 1 << 2
ICR_SWEEP_SOCKET_RECV = 1 << 3
ICR_SWEEP_RING_RECV = 1 << 4

ICR_TARGETS_NO_LOOKUP = 1 << 3

# enum icr_error (icmpring.h's ICR_ERRNO_MAP)
EINVAL = -5001
ENOMEM = -5002
ENAMELOOKUP = -5003
ESOCKADDR = -5004
ESOCKPERM = -5005
ESOCKUNAVAIL = -5006
ESOCKBROADCAST = -5007
ETIMEOUT = -5008
EICMP = -5009
EUNREACH = -5010
ETIMEEXCEEDED = -5011
ESOCKET = -5012
ESYSTEM = -5013
EIFDOWN = -5014
ESTOPPED = -5015

ADDRSTRLEN = 46 + 1 + 16  # ICR_ADDRSTRLEN: INET6_ADDRSTRLEN + '%' + zone


class _AddrBytes(Union):
    _fields_ = [('v4', c_uint32), ('v6', c_uint8 * 16), ('bytes', c_uint8 * 16)]


class icr_addr(Structure):
    _anonymous_ = ('u',)
    _fields_ = [('family', c_uint16),          # sa_family_t
                ('scope_id', c_uint32),
                ('u', _AddrBytes)]


class icr_socket_opts(Structure):
    _fields_ = [('size', c_size_t), ('family', c_int), ('source', c_char_p),
                ('privilege', c_int)]


class icr_request(Structure):
    _fields_ = [('size', c_size_t), ('destination', icr_addr), ('id', c_uint16),
                ('sequence', c_uint16), ('payload', c_void_p), ('payload_size', c_size_t),
                ('ttl', c_int), ('traffic_class', c_int), ('time_ns', c_int64)]


class icr_reply(Structure):
    _fields_ = [('size', c_size_t), ('source', icr_addr), ('family', c_int),
                ('id', c_uint16), ('sequence', c_uint16), ('type', c_int), ('code', c_int),
                ('bytes_received', c_size_t), ('time_ns', c_int64), ('ttl', c_int),
                ('payload_matches', c_bool), ('mtu', c_uint32)]


class icr_host(Structure):
    _fields_ = [('size', c_size_t), ('address', icr_addr), ('min_rtt', c_double),
                ('avg_rtt', c_double), ('max_rtt', c_double), ('rtts', POINTER(c_double)),
                ('packets_sent', c_uint64), ('packets_received', c_uint64),
                ('packet_loss', c_double), ('jitter', c_double), ('is_alive', c_bool),
                ('error', c_int), ('error_type', c_int), ('error_code', c_int),
                ('error_source', icr_addr)]


class icr_hop(Structure):
    _fields_ = [('host', icr_host), ('distance', c_int)]


class icr_result(Structure):
    _fields_ = [('size', c_size_t), ('index', c_uint64), ('target', icr_addr),
                ('responder', icr_addr), ('kind', c_int), ('type', c_int), ('code', c_int),
                ('probe', c_uint32), ('rtt_ns', c_int64), ('ttl', c_int), ('sent_ns', c_int64),
                ('duplicate', c_bool), ('bytes_received', c_size_t), ('hop', c_int),
                ('reserved_', c_uint32), ('mtu', c_uint32)]


RESULT_CB = CFUNCTYPE(None, POINTER(icr_result), c_void_p)
HOST_CB = CFUNCTYPE(None, c_size_t, POINTER(icr_host), c_void_p)


class icr_trace_result(Structure):
    _fields_ = [('size', c_size_t), ('index', c_uint64), ('target', icr_addr),
                ('hops', POINTER(icr_hop)), ('nhops', c_size_t), ('reached', c_bool),
                ('complete', c_bool)]


TRACE_CB = CFUNCTYPE(None, POINTER(icr_trace_result), c_void_p)


class icr_sweep_opts(Structure):
    _fields_ = [('size', c_size_t), ('rate', c_uint64), ('count', c_uint32),
                ('interval', c_double), ('cooldown', c_double), ('seed', c_uint64),
                ('shards', c_uint32), ('shard', c_uint32), ('ttl', c_int),
                ('traffic_class', c_int), ('payload_size', c_size_t), ('privilege', c_int),
                ('flags', c_uint), ('batch', c_uint32), ('on_result', RESULT_CB),
                ('userdata', c_void_p), ('senders', c_uint32), ('source4', icr_addr),
                ('source6', icr_addr), ('start_position', c_uint64), ('transport', c_int)]
    _defaults_ = {'shards': 1}


class icr_sweep_stats(Structure):
    _fields_ = [('size', c_size_t), ('targets', c_uint64), ('planned', c_uint64),
                ('sent', c_uint64), ('send_errors', c_uint64), ('hits', c_uint64),
                ('replies', c_uint64), ('duplicates', c_uint64), ('errors', c_uint64),
                ('invalid', c_uint64), ('kernel_drops', c_uint64), ('elapsed_ns', c_int64),
                ('send_ns', c_int64), ('sending_done', c_bool), ('done', c_bool),
                ('multishot', c_bool), ('last_send_error', c_int), ('senders', c_uint32),
                ('seed', c_uint64), ('backend', c_int), ('rcvbuf', c_uint64),
                ('transport', c_int), ('link_sent', c_uint64), ('receive', c_int),
                ('ring_received', c_uint64)]


class icr_multiping_opts(Structure):
    _fields_ = [('size', c_size_t), ('count', c_uint32), ('interval', c_double),
                ('timeout', c_double), ('rate', c_uint64), ('id', c_int), ('family', c_int),
                ('source', c_char_p), ('privilege', c_int), ('payload_size', c_size_t),
                ('ttl', c_int), ('traffic_class', c_int), ('flags', c_uint),
                ('on_host', HOST_CB), ('on_result', RESULT_CB), ('userdata', c_void_p),
                ('seed', c_uint64), ('shards', c_uint32), ('shard', c_uint32),
                ('start_position', c_uint64), ('transport', c_int)]
    _defaults_ = {'shards': 1}


class icr_trace_opts(Structure):
    _fields_ = [('size', c_size_t), ('count', c_uint32), ('interval', c_double),
                ('timeout', c_double), ('first_hop', c_int), ('max_hops', c_int),
                ('fast', c_bool), ('rate', c_uint64), ('id', c_int), ('family', c_int),
                ('source', c_char_p), ('privilege', c_int), ('payload_size', c_size_t),
                ('traffic_class', c_int), ('seed', c_uint64), ('flags', c_uint),
                ('on_trace', TRACE_CB), ('on_result', RESULT_CB), ('userdata', c_void_p),
                ('shards', c_uint32), ('shard', c_uint32), ('start_position', c_uint64),
                ('window', c_uint32), ('transport', c_int)]
    _defaults_ = {'shards': 1}


# Every structure the binding mirrors, by its C name (the layout test walks it).
STRUCTS = {c.__name__: c for c in (icr_addr, icr_socket_opts, icr_request, icr_reply,
                                   icr_host, icr_hop, icr_result, icr_trace_result,
                                   icr_sweep_opts, icr_sweep_stats, icr_multiping_opts,
                                   icr_trace_opts)}


def _new(cls, **fields):
    """A structure with its size field set, as the *_INIT macros do.

    Fields the caller does not name keep the INIT macro's value: zero, or the
    class's _defaults_ (fields appended to a C struct with a non-zero INIT
    value must be listed there)."""
    s = cls(**{**getattr(cls, '_defaults_', {}), **fields})
    s.size = ctypes.sizeof(cls)
    return s


# (name, restype, argtypes)
_P = c_void_p
_SIGNATURES = [
    ('icr_version', c_char_p, []),
    ('icr_strerror', c_char_p, [c_int]),
    ('icr_error_name', c_char_p, [c_int]),
    ('icr_error_is', c_bool, [c_int, c_int]),
    ('icr_errno', c_int, [c_int]),
    ('icr_icmp_message', c_char_p, [c_int, c_int, c_int]),
    ('icr_addr_parse', c_int, [c_char_p, POINTER(icr_addr)]),
    ('icr_addr_format', c_char_p, [POINTER(icr_addr), ctypes.c_char_p, c_size_t]),
    ('icr_is_ipv4_address', c_bool, [c_char_p]),
    ('icr_is_ipv6_address', c_bool, [c_char_p]),
    ('icr_is_hostname', c_bool, [c_char_p]),
    ('icr_resolve', c_int, [c_char_p, c_int, POINTER(icr_addr), c_size_t]),
    ('icr_socket_open', c_int, [POINTER(icr_socket_opts), POINTER(_P)]),
    ('icr_socket_close', _P, [_P]),
    ('icr_socket_free', _P, [_P]),
    ('icr_socket_is_privileged', c_bool, [_P]),
    ('icr_socket_is_closed', c_bool, [_P]),
    ('icr_socket_fd', c_int, [_P]),
    ('icr_socket_get_broadcast', c_int, [_P]),
    ('icr_socket_set_broadcast', c_int, [_P, c_bool]),
    ('icr_socket_send', c_int, [_P, POINTER(icr_request)]),
    ('icr_socket_receive', c_int, [_P, POINTER(icr_request), c_double, POINTER(icr_reply)]),
    ('icr_host_stats', c_int, [POINTER(icr_host), POINTER(c_double), c_size_t]),
    ('icr_hop_error_flag', c_char_p, [c_int, c_int, c_int]),
    ('icr_targets_new', c_int, [POINTER(_P)]),
    ('icr_targets_free', _P, [_P]),
    ('icr_targets_add', c_int, [_P, c_char_p, c_uint]),
    ('icr_targets_exclude', c_int, [_P, c_char_p, c_uint]),
    ('icr_targets_count', c_uint64, [_P]),
    ('icr_sweep_new', c_int, [_P, POINTER(icr_sweep_opts), POINTER(_P)]),
    ('icr_sweep_free', _P, [_P]),
    ('icr_sweep_step', c_int, [_P, c_int64]),
    ('icr_sweep_get_fd', c_int, [_P]),
    ('icr_sweep_get_timeout_ns', c_int64, [_P]),
    ('icr_sweep_stop', None, [_P]),
    ('icr_sweep_get_stats', c_int, [_P, POINTER(icr_sweep_stats)]),
    ('icr_multiping_new', c_int, [POINTER(icr_addr), c_size_t, POINTER(icr_multiping_opts),
                                  POINTER(_P)]),
    ('icr_multiping_free', _P, [_P]),
    ('icr_multiping_step', c_int, [_P, c_int64]),
    ('icr_multiping_get_fd', c_int, [_P]),
    ('icr_multiping_get_timeout_ns', c_int64, [_P]),
    ('icr_multiping_stop', None, [_P]),
    ('icr_multiping_get_host', c_int, [_P, c_size_t, POINTER(icr_host)]),
    ('icr_multiping_get_stats', c_int, [_P, POINTER(icr_sweep_stats)]),
    ('icr_trace_new', c_int, [_P, POINTER(icr_trace_opts), POINTER(_P)]),
    ('icr_trace_free', _P, [_P]),
    ('icr_trace_step', c_int, [_P, c_int64]),
    ('icr_trace_get_fd', c_int, [_P]),
    ('icr_trace_get_timeout_ns', c_int64, [_P]),
    ('icr_trace_stop', None, [_P]),
    ('icr_trace_get_stats', c_int, [_P, POINTER(icr_sweep_stats)]),
]


class LibraryNotFound(ImportError):
    pass


def _load():
    path = os.environ.get('ICMPRING_LIBRARY')
    try:
        lib = ctypes.CDLL(path or SONAME)
    except OSError as err:
        where = f'ICMPRING_LIBRARY={path}' if path else \
            f'{SONAME} through the loader path (or set ICMPRING_LIBRARY)'
        raise LibraryNotFound(f'icmpring: cannot load {where}: {err}') from None
    for name, restype, argtypes in _SIGNATURES:
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


_lib = None
_libc = None


def lib():
    """The loaded library (loaded on first use, so that the pure parts of
    the package - exceptions, Host, Hop - import without it)."""
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def libc_free(ptr):
    global _libc
    if _libc is None:
        import ctypes.util  # here: it costs ~10 ms at import
        _libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        _libc.free.argtypes = [c_void_p]
        _libc.free.restype = None
    _libc.free(ptr)


def strerror(code):
    return lib().icr_strerror(code).decode()


def addr_str(a):
    """An icr_addr as text ('' for AF_UNSPEC)."""
    if a.family == AF_INET:
        return socket.inet_ntop(AF_INET, bytes(a.bytes[:4]))
    if a.family == AF_INET6:
        if a.scope_id:
            buf = ctypes.create_string_buffer(ADDRSTRLEN)
            return lib().icr_addr_format(ctypes.byref(a), buf, ADDRSTRLEN).decode()
        return socket.inet_ntop(AF_INET6, bytes(a.bytes))
    return ''


def addr_parse(text):
    """icr_addr_parse, or None when text is not a literal address."""
    a = icr_addr()
    if lib().icr_addr_parse(text.encode(), ctypes.byref(a)) != 0:
        return None
    return a


_ADDR = None


def addr_array(texts, fallback):
    """An icr_addr array of literal addresses, packed in Python (a ctypes
    call per address costs more than the engine's work on it); inet_pton
    accepts what icr_addr_parse does (dotted quads without leading zeros,
    IPv6 without zone).  Other texts go through fallback(text) -> icr_addr."""
    import struct
    global _ADDR
    if _ADDR is None:
        _ADDR = struct.Struct('=H2xI16s')
        assert _ADDR.size == ctypes.sizeof(icr_addr)
    arr = (icr_addr * len(texts))()
    pack, size, pton = _ADDR.pack_into, _ADDR.size, socket.inet_pton
    for i, t in enumerate(texts):
        try:
            pack(arr, i * size, AF_INET, 0, pton(AF_INET, t))
            continue
        except OSError:
            pass
        try:
            pack(arr, i * size, AF_INET6, 0, pton(AF_INET6, t))
        except OSError:
            arr[i] = fallback(t)
    return arr
