/* rpc.h - small helpers around gRPC calls: status names, byte buffers, metadata. */
#ifndef MO_RPC_H
#define MO_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

/* "UNAVAILABLE" for 14 etc.; "UNKNOWN_STATUS" outside the range. */
const char *mo_status_name(grpc_status_code code);
/* Accepts "UNAVAILABLE", "unavailable", "resource-exhausted", "14"; -1 if unknown. */
int mo_status_parse(const char *s);

/* Packs a protobuf-c message into a new byte buffer (caller destroys). */
grpc_byte_buffer *mo_pack(const ProtobufCMessage *msg);
/* A received buffer as one contiguous slice (caller unrefs): a reference when it
 * is one uncompressed slice, else a copy. False if corrupt. */
bool mo_bb_read(grpc_byte_buffer *bb, grpc_slice *out);

/* The value of `key` in md, or NULL; the slice belongs to the call. */
const grpc_slice *mo_md_get(const grpc_metadata_array *md, const char *key);
/* Copies a metadata value of `key` into buf as a C string for messages and
 * comparisons (cut to len, each word that looks like a secret hidden as
 * mo_secret_scrub does); false if absent. */
bool mo_md_copy(const grpc_metadata_array *md, const char *key, char *buf, size_t len);

/* Copies a slice into a new C string (caller frees). */
char *mo_slice_strdup(grpc_slice s);

/* gRPC's own log lines: with `show`, printed as "PROGRAM: grpc: ..."; without,
 * dropped (the programs report failures themselves, better). GRPC_VERBOSITY or
 * GRPC_TRACE set by the user keep gRPC's own logger untouched. */
void mo_grpc_logs(bool show);
/* grpc_shutdown(), then a wait of at most max_ms for gRPC to finish it on its
 * own background thread, so that a leak checker sees a clean exit. (A channel
 * still backing off from a failed connect keeps gRPC alive for about a second.) */
void mo_grpc_shutdown_wait(unsigned max_ms);

/* Helpers to fill a zeroed op. */
static inline grpc_op mo_op(grpc_op_type type)
{
    grpc_op op;
    __builtin_memset(&op, 0, sizeof op);
    op.op = type;
    return op;
}

#endif
