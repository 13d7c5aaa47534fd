# secrets-lib.sh - recognizable API keys and a check that no piece of them
# was written anywhere; source after lib.sh.
#
#   $V2            a syntactically valid v2 API key (a JWT with t == "g"), random
#   $V1            a v1 API key: base64 of {"endpoint","api_key"}, random
#   $V1_INNER      the api_key inside $V1 (what a client sends for it)
#   $BAD_V2        $V2 with its claims part broken (malformed, same pieces)
#   $BAD_V1        $V1 cut short (malformed, same pieces)
#   $KEYS          a directory holding v2.key, v1.key, bad-v2.key, bad-v1.key,
#                  other.key (a token no key matches), each mode 600
#   key_pieces_in KEY FILE...   prints "FILE: PIECE" for the first 8 consecutive
#                  characters of KEY found in a FILE and returns 0; 1 if none
#   no_secrets FILE...          fails when a piece of $V2, $V1 or $V1_INNER is in a FILE
#   no_secrets_in_cmdline PID   the same for /proc/PID/cmdline
#   no_secrets_in_tree DIR...   the same for every file under each DIR
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
rand_b64url() { head -c "$1" /dev/urandom | b64url; }
# jwt HEADER-JSON CLAIMS-JSON : header.claims.signature (32 random bytes)
jwt() { printf '%s.%s.%s' "$(printf '%s' "$1" | b64url)" "$(printf '%s' "$2" | b64url)" "$(rand_b64url 32)"; }

# random first, so that the first pieces are not those every JWT shares
V2=$(jwt "{\"kid\":\"$(rand_b64url 12)\",\"alg\":\"HS256\",\"typ\":\"JWT\"}" \
    "{\"id\":\"$(rand_b64url 12)\",\"t\":\"g\"}")
V1_INNER=$(jwt "{\"kid\":\"$(rand_b64url 12)\",\"alg\":\"HS256\"}" \
    "{\"sub\":\"$(rand_b64url 12)\",\"c\":\"cache.cell-9.example.com\"}")
V1=$(printf '{"endpoint":"cell-9.example.com","api_key":"%s"}' "$V1_INNER" | base64 -w0)
IFS=. read -r -a v2_parts <<<"$V2"
BAD_V2="${v2_parts[0]}.${v2_parts[1]:0:10}!.${v2_parts[2]}"
BAD_V1=${V1:0:101}

KEYS=$WORK/keys
mkdir -p "$KEYS"
(
    umask 077
    printf '%s\n' "$V2" >"$KEYS/v2.key"
    printf '%s\n' "$V1" >"$KEYS/v1.key"
    printf '%s\n' "$BAD_V2" >"$KEYS/bad-v2.key"
    printf '%s\n' "$BAD_V1" >"$KEYS/bad-v1.key"
    printf 'other\n' >"$KEYS/other.key"
)

key_pieces_in() {
    local key=$1 i f hit
    shift
    local pieces=$WORK/.pieces
    : >"$pieces"
    for ((i = 0; i + 8 <= ${#key}; i++)); do printf '%s\n' "${key:i:8}" >>"$pieces"; done
    for f in "$@"; do
        [ -f "$f" ] || continue
        hit=$(grep -a -o -F -f "$pieces" "$f" | head -n 1) || true
        if [ -n "$hit" ]; then
            echo "$f: $hit"
            return 0
        fi
    done
    return 1
}

# How many files the checks looked at, for the closing line of a test.
CHECKED_FILES=0
no_secrets() {
    local hit key
    for key in "$V2" "$V1" "$V1_INNER"; do
        if hit=$(key_pieces_in "$key" "$@"); then
            fail "a piece of a key in ${hit%%: *}: ${hit##*: } (line: $(grep -a -m1 -F "${hit##*: }" "${hit%%: *}" | cut -c1-300))"
        fi
    done
    local f
    for f in "$@"; do [ -f "$f" ] && CHECKED_FILES=$((CHECKED_FILES + 1)); done
    return 0
}

no_secrets_in_cmdline() {
    local pid=$1 out=$WORK/cmdline.$1
    tr '\0' ' ' <"/proc/$pid/cmdline" >"$out" || fail "no /proc/$pid/cmdline"
    [ -s "$out" ] || fail "empty /proc/$pid/cmdline"
    no_secrets "$out"
}

no_secrets_in_tree() {
    local files=() f
    while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$@" -type f -print0 2>/dev/null)
    [ ${#files[@]} = 0 ] || no_secrets "${files[@]}"
}

# The checker must see what it is there to see: a piece of each key, alone or
# in a line, is found (v1: of the outer base64 and of the inner api_key).
selfcheck=$WORK/.selfcheck
for k in "$V2" "$V1" "$V1_INNER"; do
    printf 'x %s y\n' "${k:17:8}" >"$selfcheck"
    key_pieces_in "$k" "$selfcheck" >/dev/null || fail "the checker misses a piece of a key"
    printf 'x %s y\n' "${k:17:7}" >"$selfcheck"
    ! key_pieces_in "$k" "$selfcheck" >/dev/null || fail "the checker flags 7 characters"
done
rm -f "$selfcheck"
