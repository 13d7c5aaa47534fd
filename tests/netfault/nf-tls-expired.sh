#!/bin/bash
# TLS with a certificate that has expired (signed by the CA the daemon trusts
# through momento.ca_file): a connect_error in plain words with a hint, retried
# with backoff, never a hot loop; subscribed once the server's certificate is good.
source "$top_srcdir/tests/netfault/lib-rig.sh"
rig_tls_case expired "not signed by the CA of momento.ca_file, or it has expired"
