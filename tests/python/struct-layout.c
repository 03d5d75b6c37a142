/* struct-layout.c - prints the size of every public struct that the
 * Python binding (python/icmpring/_lib.py) mirrors, and the offset of each
 * of its fields, as the C compiler lays them out:
 *     STRUCT sizeof N
 *     STRUCT FIELD OFFSET SIZE
 * tests/python/test_layout.py compares them with ctypes' layout. */
#include <stddef.h>
#include <stdio.h>

#include "icmpring.h"

#define SIZE(s) printf("%s sizeof %zu\n", #s, sizeof(struct s))
#define OFF(s, f)                                                                            \
    printf("%s %s %zu %zu\n", #s, #f, offsetof(struct s, f), sizeof(((struct s *)0)->f))

int main(void) {
    SIZE(icr_addr);
    OFF(icr_addr, family);
    OFF(icr_addr, scope_id);
    OFF(icr_addr, v4);
    OFF(icr_addr, v6);
    OFF(icr_addr, bytes);

    SIZE(icr_socket_opts);
    OFF(icr_socket_opts, size);
    OFF(icr_socket_opts, family);
    OFF(icr_socket_opts, source);
    OFF(icr_socket_opts, privilege);

    SIZE(icr_request);
    OFF(icr_request, size);
    OFF(icr_request, destination);
    OFF(icr_request, id);
    OFF(icr_request, sequence);
    OFF(icr_request, payload);
    OFF(icr_request, payload_size);
    OFF(icr_request, ttl);
    OFF(icr_request, traffic_class);
    OFF(icr_request, time_ns);

    SIZE(icr_reply);
    OFF(icr_reply, size);
    OFF(icr_reply, source);
    OFF(icr_reply, family);
    OFF(icr_reply, id);
    OFF(icr_reply, sequence);
    OFF(icr_reply, type);
    OFF(icr_reply, code);
    OFF(icr_reply, bytes_received);
    OFF(icr_reply, time_ns);
    OFF(icr_reply, ttl);
    OFF(icr_reply, payload_matches);
    OFF(icr_reply, mtu);

    SIZE(icr_host);
    OFF(icr_host, size);
    OFF(icr_host, address);
    OFF(icr_host, min_rtt);
    OFF(icr_host, avg_rtt);
    OFF(icr_host, max_rtt);
    OFF(icr_host, rtts);
    OFF(icr_host, packets_sent);
    OFF(icr_host, packets_received);
    OFF(icr_host, packet_loss);
    OFF(icr_host, jitter);
    OFF(icr_host, is_alive);
    OFF(icr_host, error);
    OFF(icr_host, error_type);
    OFF(icr_host, error_code);
    OFF(icr_host, error_source);

    SIZE(icr_hop);
    OFF(icr_hop, host);
    OFF(icr_hop, distance);

    SIZE(icr_result);
    OFF(icr_result, size);
    OFF(icr_result, index);
    OFF(icr_result, target);
    OFF(icr_result, responder);
    OFF(icr_result, kind);
    OFF(icr_result, type);
    OFF(icr_result, code);
    OFF(icr_result, probe);
    OFF(icr_result, rtt_ns);
    OFF(icr_result, ttl);
    OFF(icr_result, sent_ns);
    OFF(icr_result, duplicate);
    OFF(icr_result, bytes_received);
    OFF(icr_result, hop);
    OFF(icr_result, reserved_);
    OFF(icr_result, mtu);

    SIZE(icr_trace_result);
    OFF(icr_trace_result, size);
    OFF(icr_trace_result, index);
    OFF(icr_trace_result, target);
    OFF(icr_trace_result, hops);
    OFF(icr_trace_result, nhops);
    OFF(icr_trace_result, reached);
    OFF(icr_trace_result, complete);

    SIZE(icr_sweep_opts);
    OFF(icr_sweep_opts, size);
    OFF(icr_sweep_opts, rate);
    OFF(icr_sweep_opts, count);
    OFF(icr_sweep_opts, interval);
    OFF(icr_sweep_opts, cooldown);
    OFF(icr_sweep_opts, seed);
    OFF(icr_sweep_opts, shards);
    OFF(icr_sweep_opts, shard);
    OFF(icr_sweep_opts, ttl);
    OFF(icr_sweep_opts, traffic_class);
    OFF(icr_sweep_opts, payload_size);
    OFF(icr_sweep_opts, privilege);
    OFF(icr_sweep_opts, flags);
    OFF(icr_sweep_opts, batch);
    OFF(icr_sweep_opts, on_result);
    OFF(icr_sweep_opts, userdata);
    OFF(icr_sweep_opts, senders);
    OFF(icr_sweep_opts, source4);
    OFF(icr_sweep_opts, source6);
    OFF(icr_sweep_opts, start_position);
    OFF(icr_sweep_opts, transport);

    SIZE(icr_sweep_stats);
    OFF(icr_sweep_stats, size);
    OFF(icr_sweep_stats, targets);
    OFF(icr_sweep_stats, planned);
    OFF(icr_sweep_stats, sent);
    OFF(icr_sweep_stats, send_errors);
    OFF(icr_sweep_stats, hits);
    OFF(icr_sweep_stats, replies);
    OFF(icr_sweep_stats, duplicates);
    OFF(icr_sweep_stats, errors);
    OFF(icr_sweep_stats, invalid);
    OFF(icr_sweep_stats, kernel_drops);
    OFF(icr_sweep_stats, elapsed_ns);
    OFF(icr_sweep_stats, send_ns);
    OFF(icr_sweep_stats, sending_done);
    OFF(icr_sweep_stats, done);
    OFF(icr_sweep_stats, multishot);
    OFF(icr_sweep_stats, last_send_error);
    OFF(icr_sweep_stats, senders);
    OFF(icr_sweep_stats, seed);
    OFF(icr_sweep_stats, backend);
    OFF(icr_sweep_stats, rcvbuf);
    OFF(icr_sweep_stats, transport);
    OFF(icr_sweep_stats, link_sent);
    OFF(icr_sweep_stats, receive);
    OFF(icr_sweep_stats, ring_received);

    SIZE(icr_multiping_opts);
    OFF(icr_multiping_opts, size);
    OFF(icr_multiping_opts, count);
    OFF(icr_multiping_opts, interval);
    OFF(icr_multiping_opts, timeout);
    OFF(icr_multiping_opts, rate);
    OFF(icr_multiping_opts, id);
    OFF(icr_multiping_opts, family);
    OFF(icr_multiping_opts, source);
    OFF(icr_multiping_opts, privilege);
    OFF(icr_multiping_opts, payload_size);
    OFF(icr_multiping_opts, ttl);
    OFF(icr_multiping_opts, traffic_class);
    OFF(icr_multiping_opts, flags);
    OFF(icr_multiping_opts, on_host);
    OFF(icr_multiping_opts, on_result);
    OFF(icr_multiping_opts, userdata);
    OFF(icr_multiping_opts, seed);
    OFF(icr_multiping_opts, shards);
    OFF(icr_multiping_opts, shard);
    OFF(icr_multiping_opts, start_position);
    OFF(icr_multiping_opts, transport);

    SIZE(icr_trace_opts);
    OFF(icr_trace_opts, size);
    OFF(icr_trace_opts, count);
    OFF(icr_trace_opts, interval);
    OFF(icr_trace_opts, timeout);
    OFF(icr_trace_opts, first_hop);
    OFF(icr_trace_opts, max_hops);
    OFF(icr_trace_opts, fast);
    OFF(icr_trace_opts, rate);
    OFF(icr_trace_opts, id);
    OFF(icr_trace_opts, family);
    OFF(icr_trace_opts, source);
    OFF(icr_trace_opts, privilege);
    OFF(icr_trace_opts, payload_size);
    OFF(icr_trace_opts, traffic_class);
    OFF(icr_trace_opts, seed);
    OFF(icr_trace_opts, flags);
    OFF(icr_trace_opts, on_trace);
    OFF(icr_trace_opts, on_result);
    OFF(icr_trace_opts, userdata);
    OFF(icr_trace_opts, shards);
    OFF(icr_trace_opts, shard);
    OFF(icr_trace_opts, start_position);
    OFF(icr_trace_opts, window);
    OFF(icr_trace_opts, transport);
    return 0;
}
