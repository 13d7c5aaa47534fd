# tls-certs.sh - throwaway certificates for the TLS tests, made with openssl in
# $WORK (sourced after lib.sh). EC P-256 keys: quick to make, and gRPC and
# Node both accept them.
#
#   make_ca NAME               self-signed CA: $WORK/NAME.pem and $WORK/NAME.key
#   make_cert CA NAME DNSNAME  certificate for DNSNAME (subjectAltName) signed by
#                              CA: $WORK/NAME.pem and $WORK/NAME.key

make_ca() {
    local name=$1
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$WORK/$name.key" -out "$WORK/$name.pem" -days 2 -subj "/CN=$name test CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$WORK/openssl-$name.err" ||
        fail "openssl could not make CA $name: $(cat "$WORK/openssl-$name.err")"
}

make_cert() {
    local ca=$1 name=$2 dns=$3
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$WORK/$name.key" -out "$WORK/$name.csr" -subj "/CN=$dns" \
        2>"$WORK/openssl-$name.err" ||
        fail "openssl could not make a key for $name: $(cat "$WORK/openssl-$name.err")"
    printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
        "$dns" >"$WORK/$name.ext"
    openssl x509 -req -in "$WORK/$name.csr" -CA "$WORK/$ca.pem" -CAkey "$WORK/$ca.key" \
        -CAcreateserial -CAserial "$WORK/$ca.srl" -days 2 -extfile "$WORK/$name.ext" \
        -out "$WORK/$name.pem" 2>"$WORK/openssl-$name.err" ||
        fail "openssl could not sign $name: $(cat "$WORK/openssl-$name.err")"
}
