/*
 * test_aggregate.c - the cross-host figures of summary.json and the exact
 * form part.json keeps of them (sim/output/aggregate.c; docs/outputs.md
 * "Partial results folders").
 *
 * The figures a merge recomputes must equal a run's to the last bit, so the
 * tests pin the two things that could break that: doubles that do not read
 * back exactly from part.json, and sums taken in another order than hosts
 * in config order, then VMs.  The order test uses values whose sum depends
 * on the order, and checks that the other order really gives another
 * result, so it can fail.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/alloc.h"
#include "sim/output/aggregate.h"

static const struct tm_agg_params params = {
	.fmem_latency_ns = 80, .smem_latency_ns = 250, .page_shift = 12,
};

/* A host of one VM whose fields are all distinct. */
static void one_vm_host(struct tm_host_agg *h, uint32_t index, double pages)
{
	struct tm_vm_agg *a = tm_xcalloc(1, sizeof(*a));

	a->hits = (struct tm_hits){ .nr_records = 11, .nr_accesses = 1000,
		.nr_samples = 13, .hits_fmem = 700, .hits_smem = 300,
		.hits_static_fmem = 500, .samples_fmem = 7 };
	a->slo_miss_ns = 17;
	a->need_max_pages = 19;
	a->max_recover_ns = 23 + index;
	a->balloon_bytes = 29;
	a->balloon_busy_ns = 31;
	a->below_end = index & 1;
	a->fair_x = 0.7 / 0.8;
	a->mean_fmem_pages = pages;
	*h = (struct tm_host_agg){ .index = index, .nr_vms = 1,
		.need_sum_max = 37, .vms = a };
}

static double json_num(const json_t *o, const char *key)
{
	const json_t *j = json_object_get(o, key);

	assert_true(json_is_number(j));
	return json_number_value(j);
}

/* Through text with 17 digits and back: every field equal, bit for bit. */
static void test_exact_round_trip(void **state)
{
	static const double odd[] = { 0.1, 1.0 / 3.0, 0x1.fffffffffffffp-1,
		5e-324, 2.0 / 3.0 * 1e300, 0.0 };
	struct tm_error err = { 0 };
	struct tm_host_agg h, back;
	json_error_t je;

	(void)state;
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		json_t *j;
		char *text;

		one_vm_host(&h, 4, odd[i]);
		h.vms[0].fair_x = odd[(i + 1) % 6];
		j = tm_agg_host_to_json(&h);
		text = json_dumps(j, JSON_REAL_PRECISION(17));
		json_decref(j);
		j = json_loads(text, 0, &je);
		assert_non_null(j);
		assert_int_equal(tm_agg_host_from_json(&back, j, "p", &err), 0);
		assert_int_equal(back.index, 4);
		assert_int_equal(back.nr_vms, 1);
		assert_int_equal(back.need_sum_max, 37);
		assert_memory_equal(back.vms, h.vms, sizeof(*h.vms));
		tm_agg_host_free(&back);
		tm_agg_host_free(&h);
		json_decref(j);
		free(text);
	}
}

/* Hosts 0, 1, 2 with mean FMEM pages 2^-13, 2^40, 2^-13: in config order
 * each 2^-13 is half an ulp of 2^40 and rounds away (2^52 bytes); 0, 2, 1
 * keeps them (2^52 + 1 bytes). */
static void test_config_order(void **state)
{
	struct tm_host_agg h[3], swapped[3];
	json_t *c, *r;

	(void)state;
	one_vm_host(&h[0], 0, 0x1p-13);
	one_vm_host(&h[1], 1, 0x1p40);
	one_vm_host(&h[2], 2, 0x1p-13);
	c = tm_agg_cluster_json(&params, h, 3);
	r = json_object_get(c, "rebalancing");
	assert_true(json_num(r, "fmem_mean_allocated_bytes") == 0x1p52);
	json_decref(c);
	swapped[0] = h[0];
	swapped[1] = h[2];
	swapped[2] = h[1];
	c = tm_agg_cluster_json(&params, swapped, 3);
	r = json_object_get(c, "rebalancing");
	assert_true(json_num(r, "fmem_mean_allocated_bytes") == 0x1p52 + 1);
	json_decref(c);
	for (int i = 0; i < 3; i++)
		tm_agg_host_free(&h[i]);
	/* Flat over VMs, not host by host: 2^40 then [2^-13, 2^-13] stays
	 * 2^40, where a sum of host sums would keep 2^-12. */
	one_vm_host(&h[0], 0, 0x1p40);
	one_vm_host(&h[1], 1, 0x1p-13);
	h[1].vms = tm_xrealloc(h[1].vms, 2 * sizeof(*h[1].vms));
	h[1].vms[1] = h[1].vms[0];
	h[1].nr_vms = 2;
	c = tm_agg_cluster_json(&params, h, 2);
	r = json_object_get(c, "rebalancing");
	assert_true(json_num(r, "fmem_mean_allocated_bytes") == 0x1p52);
	json_decref(c);
	tm_agg_host_free(&h[0]);
	tm_agg_host_free(&h[1]);
}

/* Cluster totals and rebalancing are the sums and maxima over hosts. */
static void test_cluster_sums(void **state)
{
	struct tm_host_agg h[2];
	json_t *c, *r;

	(void)state;
	one_vm_host(&h[0], 0, 10);
	one_vm_host(&h[1], 1, 20);
	c = tm_agg_cluster_json(&params, h, 2);
	r = json_object_get(c, "rebalancing");
	assert_true(json_num(c, "accesses") == 2000);
	assert_true(json_num(c, "hits_fmem") == 1400);
	assert_true(json_num(c, "amat_ns") == (700 * 80.0 + 300 * 250.0) / 1000);
	assert_true(json_num(r, "max_time_to_recover_ns") == 24);
	assert_true(json_num(r, "vms_below_target_at_end") == 1);
	assert_true(json_num(r, "fmem_needed_static_bytes") == 38 * 4096);
	assert_true(json_num(r, "fmem_needed_dynamic_bytes") == 74 * 4096);
	assert_true(json_num(r, "fmem_mean_allocated_bytes") == 30 * 4096);
	assert_true(json_num(r, "jain_fairness") == 1.0);
	assert_true(json_is_null(json_object_get(r, "policy")));
	json_decref(c);
	c = tm_agg_host_rebalancing_json(&params, &h[1], "utility");
	assert_string_equal(json_string_value(json_object_get(c, "policy")),
			    "utility");
	assert_true(json_num(c, "fmem_needed_dynamic_bytes") == 37 * 4096);
	json_decref(c);
	tm_agg_host_free(&h[0]);
	tm_agg_host_free(&h[1]);
}

/* A damaged aggregate is named: where, the key, what was expected. */
static void test_errors_named(void **state)
{
	struct tm_error err = { 0 };
	struct tm_host_agg h;
	json_t *j;

	(void)state;
	one_vm_host(&h, 2, 1.0);
	j = tm_agg_host_to_json(&h);
	tm_agg_host_free(&h);
	json_object_del(json_array_get(json_object_get(j, "vms"), 0), "fair_x");
	assert_int_equal(tm_agg_host_from_json(&h, j, "P/part.json: host 2",
					       &err), -1);
	assert_int_equal(err.code, TM_ERR_FORMAT);
	assert_string_equal(err.msg, "P/part.json: host 2.vms[0]: fair_x: "
			    "expected a number");
	tm_agg_host_free(&h);
	json_object_set_new(j, "need_sum_max", json_integer(-1));
	assert_int_equal(tm_agg_host_from_json(&h, j, "w", &err), -1);
	assert_string_equal(err.msg, "w: need_sum_max: expected a whole "
			    "number >= 0");
	tm_agg_host_free(&h);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_round_trip),
		cmocka_unit_test(test_config_order),
		cmocka_unit_test(test_cluster_sums),
		cmocka_unit_test(test_errors_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
