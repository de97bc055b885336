// The parts of libpq the PostgreSQL lineage backend uses: connections, parameterised statements,
// results and connection-string parsing (to refuse strings that carry a password).
#include <libpq-fe.h>
