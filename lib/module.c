/* Placeholder until the decoder lands. */
#include <stdlib.h>

#include "module.h"

void module_free(Module *m)
{
    free(m);
}
