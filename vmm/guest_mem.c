/* Range checks for every guest-supplied (GPA, length) pair. */
#include "guest_mem.h"

void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	/* Written so that nothing can wrap: gpa <= size first, then the room
	 * left after gpa bounds len. */
	if (gpa > m->size || len > m->size - gpa)
		return 0;
	return m->host + gpa;
}
