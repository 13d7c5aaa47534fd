#!/bin/bash
# TLS with a certificate for another host name: a connect_error that says so,
# retried with backoff, never a hot loop; subscribed once the certificate is right.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_tls_case wrong-name "certificate is for another host name"
