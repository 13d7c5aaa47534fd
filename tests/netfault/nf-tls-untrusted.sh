#!/bin/bash
# TLS with a certificate of a CA the daemon does not trust: a connect_error that
# names the CA problem and momento.ca_file, retried with backoff, never a hot
# loop; subscribed once the server's certificate is signed by the trusted CA.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_tls_case untrusted "not signed by the CA of momento.ca_file"
