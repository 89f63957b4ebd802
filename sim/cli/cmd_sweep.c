/*
 * cmd_sweep.c - `tmsim sweep` (DESIGN.md §11): run a sweep's points on a
 * local worker pool, or print one command per point (--list) for Slurm job
 * arrays and GNU parallel, run a slice (--shard I/N) or one point
 * (--point I), and merge the point folders into sweep.csv (--merge).
 *
 * Each point runs as a child process: this very binary (/proc/self/exe)
 * executing `tmsim run BASE --set ... -o POINTDIR -q`, reaped with waitpid.
 * A child is a whole process, so a crash or an OOM kill loses one point,
 * never the sweep, and the engine stays single-run code.
 *
 * Resuming: a point is complete when its summary.json exists (sweep.h).  A
 * driver holds an flock on the point's run.log while the point runs, so two
 * drivers (a resumed Slurm task and a straggler, say) never run one point at
 * once; the lock dies with the driver, even on kill -9.  Children get
 * PR_SET_PDEATHSIG = SIGKILL, so a killed driver leaves no orphan that could
 * finish a point behind the next driver's back.  run.log gets one line when
 * a point starts and one when it ends: the record of how often it ran.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "cli.h"
#include "sim/config/config.h"
#include "sim/output/output.h"
#include "sim/sweep/sweep.h"
#include "lib/units.h"

static const char sweep_usage[] =
"usage: tmsim sweep SWEEP.yaml [options]\n"
"\n"
"Run every point of a parameter sweep (docs/sweeps.md): the base config\n"
"with each combination of the swept --set values and seeds, each point in\n"
"OUT/points/pNNNN/ (NNNN = the point's index in the expansion), then merge\n"
"every point's summary.json into OUT/sweep.csv (one row per point and VM)\n"
"and describe the points in OUT/sweep.json.  Points whose summary.json\n"
"exists are skipped, so a killed sweep resumes where it stopped.\n"
"\n"
"options:\n"
"  -j, --jobs N         run N points at once (default 1)\n"
"  -o, --output DIR     sweep folder (default: the file's output:, else\n"
"                       results/sweeps/<sweep name>)\n"
"  --shard I/N          run only points with index % N == I (0-based I);\n"
"                       does not merge: run --merge when all shards ended\n"
"  --point I            run only point I (what --list prints); no merge\n"
"  --list               print one shell command per point (absolute paths,\n"
"                       usable from any folder; honours --shard) and exit;\n"
"                       feed it to GNU parallel or a Slurm array\n"
"  --merge              rebuild sweep.csv and sweep.json from the point\n"
"                       folders; refuses (exit 1) if points are missing\n"
"  --partial            with --merge: merge the complete points anyway\n"
"  -q, --quiet          no progress output\n"
"  -h, --help           this text\n"
"\n"
"progress: a status line on stderr when it is a terminal, else one line\n"
"per finished point.  A failed point's messages are in its folder's\n"
"run.err; the others still run.\n"
"\n"
"exit status: 0 every point ran (and merged); 1 a point failed, points are\n"
"missing at merge, or an output cannot be written; 2 bad usage or a bad\n"
"sweep file, located as file:line:col: key: expected ...\n";

struct sweep_args {
	const char *file;
	const char *outdir;
	unsigned jobs;
	uint32_t shard_i, shard_n;
	int64_t point;            /* -1: all points (of the shard) */
	int list, merge, partial, quiet;
};

/* One running point. */
struct sweep_job {
	pid_t pid;                /* 0: free slot */
	uint32_t point;
	int log_fd;
	struct timespec t0;
};

/* The pool's state and counters. */
struct sweep_pool {
	const struct tm_sweep *sw;
	const struct sweep_args *a;
	const char *outdir;
	char exe[TM_PATH_MAX];
	struct sweep_job *jobs;
	uint32_t nr_todo, nr_ran, nr_skipped, nr_failed, nr_running;
	int tty;
};

static int usage_error(const char *msg)
{
	fprintf(stderr, "tmsim sweep: %s\n\n%s", msg, sweep_usage);
	return 2;
}

static int parse_num(const char *opt, const char *s, uint64_t max,
		     uint64_t *v)
{
	struct tm_error err;

	if (tm_parse_u64(s, v, &err) || *v > max) {
		fprintf(stderr, "tmsim sweep: %s: expected a whole number up to "
			"%llu, got \"%s\"\n", opt, (unsigned long long)max, s);
		return -1;
	}
	return 0;
}

static int parse_opt(int c, struct sweep_args *a)
{
	struct tm_error err;
	uint64_t v;

	switch (c) {
	case 'j':
		if (parse_num("--jobs", optarg, 1024, &v) || v < 1)
			return v < 1 ? usage_error("--jobs: expected 1 or more") : 2;
		a->jobs = (unsigned)v;
		return -1;
	case 'o':
		a->outdir = optarg;
		return -1;
	case 'S':
		if (tm_sweep_parse_shard(optarg, &a->shard_i, &a->shard_n, &err))
			return usage_error(err.msg);
		return -1;
	case 'P':
		if (parse_num("--point", optarg, TM_SWEEP_MAX_POINTS, &v))
			return 2;
		a->point = (int64_t)v;
		return -1;
	case 'l': a->list = 1; return -1;
	case 'm': a->merge = 1; return -1;
	case 'p': a->partial = 1; return -1;
	case 'q': a->quiet = 1; return -1;
	case 'h':
		fputs(sweep_usage, stdout);
		return 0;
	default:
		fputs(sweep_usage, stderr);
		return 2;
	}
}

static int parse_args(int argc, char **argv, struct sweep_args *a)
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "shard", required_argument, NULL, 'S' },
		{ "point", required_argument, NULL, 'P' },
		{ "list", no_argument, NULL, 'l' },
		{ "merge", no_argument, NULL, 'm' },
		{ "partial", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->jobs = 1;
	a->shard_n = 1;
	a->point = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "j:o:qh", longopts, NULL)) != -1)
		if ((rc = parse_opt(c, a)) >= 0)
			return rc;
	if (optind != argc - 1)
		return usage_error("expected exactly one SWEEP file");
	if (a->list + a->merge > 1 || (a->partial && !a->merge))
		return usage_error("--list and --merge exclude each other; "
				   "--partial needs --merge");
	if (a->merge && (a->point >= 0 || a->shard_n > 1))
		return usage_error("--merge reads every point: no --shard or "
				   "--point");
	a->file = argv[optind];
	return -1;
}

/* ---- --list --------------------------------------------------------- */

/* Print s single-quoted for sh: ' becomes '\''. */
static void put_quoted(const char *s)
{
	putchar('\'');
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	putchar('\'');
}

/* An absolute path for p (which need not exist yet). */
static int absolute(const char *p, char *buf, size_t sz)
{
	char cwd[TM_PATH_MAX];

	if (p[0] == '/')
		return snprintf(buf, sz, "%s", p) >= (int)sz ? -1 : 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	return snprintf(buf, sz, "%s/%s", cwd, p) >= (int)sz ? -1 : 0;
}

static int self_exe(char *buf, size_t sz)
{
	ssize_t n = readlink("/proc/self/exe", buf, sz - 1);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int cmd_list(const struct tm_sweep *sw, const struct sweep_args *a,
		    const char *outdir)
{
	char exe[TM_PATH_MAX], file[TM_PATH_MAX], out[TM_PATH_MAX];

	if (self_exe(exe, sizeof(exe)) || !realpath(a->file, file) ||
	    absolute(outdir, out, sizeof(out))) {
		fprintf(stderr, "tmsim sweep: cannot resolve absolute paths: "
			"%s\n", strerror(errno));
		return 1;
	}
	for (uint32_t i = 0; i < sw->nr_points; i++) {
		if (!tm_sweep_in_shard(i, a->shard_i, a->shard_n) ||
		    (a->point >= 0 && i != (uint32_t)a->point))
			continue;
		put_quoted(exe);
		fputs(" sweep ", stdout);
		put_quoted(file);
		fputs(" -o ", stdout);
		put_quoted(out);
		printf(" --point %u -q\n", i);
	}
	return fflush(stdout) ? 1 : 0;
}

/* ---- merge ---------------------------------------------------------- */

static int write_file(const char *outdir, const char *name,
		      const struct tm_strbuf *b)
{
	char path[TM_PATH_MAX + 64];
	struct tm_error err;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	if (tm_write_atomic(path, b->p ? b->p : "", b->len, &err)) {
		fprintf(stderr, "tmsim sweep: %s\n", err.msg);
		return 1;
	}
	return 0;
}

static int write_sweep_json(const struct tm_sweep *sw, const char *outdir)
{
	struct tm_strbuf b = { 0 };
	struct tm_error err;
	int rc;

	if (tm_mkdir_p(outdir, &err)) {
		fprintf(stderr, "tmsim sweep: %s\n", err.msg);
		return 1;
	}
	tm_sweep_json(sw, &b);
	rc = write_file(outdir, "sweep.json", &b);
	tm_strbuf_free(&b);
	return rc;
}

/* Merge; with missing points refuse unless partial.  quiet_missing: the
 * caller has already reported failures. */
static int do_merge(const struct tm_sweep *sw, const char *outdir,
		    int partial)
{
	struct tm_strbuf csv = { 0 };
	struct tm_error err;
	uint32_t nr_missing;
	char *missing = NULL;
	int rc = 0;

	if (tm_sweep_merge(sw, outdir, &csv, &nr_missing, &missing, &err)) {
		fprintf(stderr, "tmsim sweep: %s\n", err.msg);
		rc = 1;
	} else if (nr_missing && !partial) {
		fprintf(stderr, "tmsim sweep: %u of %u points missing: %s; "
			"sweep.csv not written (--merge --partial merges the "
			"rest)\n", nr_missing, sw->nr_points, missing);
		rc = 1;
	} else {
		if (nr_missing)
			fprintf(stderr, "tmsim sweep: %u of %u points missing "
				"from sweep.csv: %s\n", nr_missing,
				sw->nr_points, missing);
		rc = write_sweep_json(sw, outdir) ||
		     write_file(outdir, "sweep.csv", &csv);
	}
	free(missing);
	tm_strbuf_free(&csv);
	return rc;
}

/* ---- the pool ------------------------------------------------------- */

/* Empty a point folder but for run.log, so a rerun starts from scratch.
 * `tmsim run` writes only plain files there, so the folder is flat. */
static int clean_point(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, "run.log"))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0))
			rc = -1;
	}
	closedir(d);
	return rc;
}

static void log_line(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void log_line(int fd, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, buf, (size_t)n) != n)
		perror("tmsim sweep: run.log");
}

/* In the child: die with the driver, send output to run.err, exec. */
static void child_exec(const char *exe, const char *dir, char **argv,
		       pid_t parent)
{
	char path[TM_PATH_MAX + 64];
	int fd;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	snprintf(path, sizeof(path), "%s/run.err", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0)
		_exit(127);
	close(fd);
	execv(exe, argv);
	fprintf(stderr, "tmsim sweep: cannot run %s: %s\n", exe,
		strerror(errno));
	_exit(127);
}

/* Lock the point's run.log; 0 and *fd on success, 1 busy, -1 error. */
static int lock_point(const char *dir, int *fd)
{
	char path[TM_PATH_MAX + 64];
	struct tm_error err;

	if (tm_mkdir_p(dir, &err)) {
		fprintf(stderr, "tmsim sweep: %s\n", err.msg);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/run.log", dir);
	*fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (*fd < 0) {
		fprintf(stderr, "tmsim sweep: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB)) {
		close(*fd);
		return errno == EWOULDBLOCK ? 1 : -1;
	}
	return 0;
}

static pid_t spawn_point(struct sweep_pool *pl, uint32_t i, const char *dir)
{
	char *sets[TM_SWEEP_MAX_PARAMS * 2 + 1];
	char *argv[TM_SWEEP_MAX_PARAMS * 4 + 16];
	uint32_t n = tm_sweep_point_sets(pl->sw, i, sets), k = 0;
	pid_t parent = getpid(), pid;

	argv[k++] = "tmsim";
	argv[k++] = "run";
	argv[k++] = pl->sw->base_path;
	for (uint32_t s = 0; s < n; s++) {
		argv[k++] = "--set";
		argv[k++] = sets[s];
	}
	argv[k++] = "-o";
	argv[k++] = (char *)dir;
	argv[k++] = "-q";
	argv[k] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child_exec(pl->exe, dir, argv, parent);
	for (uint32_t s = 0; s < n; s++)
		free(sets[s]);
	return pid;
}

static void progress(struct sweep_pool *pl, uint32_t i, const char *what,
		     double secs)
{
	uint32_t fin = pl->nr_ran + pl->nr_skipped + pl->nr_failed;

	if (pl->a->quiet)
		return;
	if (pl->tty)
		fprintf(stderr, "\rtmsim sweep: %u/%u points (%u run, %u "
			"skipped, %u failed, %u running)  ", fin, pl->nr_todo,
			pl->nr_ran, pl->nr_skipped, pl->nr_failed,
			pl->nr_running);
	else if (what)
		fprintf(stderr, "tmsim sweep: p%04u %s (%.2f s) [%u/%u]\n", i,
			what, secs, fin, pl->nr_todo);
}

/* Start point i in slot j, or account for it at once (done, busy). */
static void start_point(struct sweep_pool *pl, struct sweep_job *job,
			uint32_t i)
{
	char dir[TM_PATH_MAX + 32];
	int fd, rc;

	tm_sweep_point_dir(pl->outdir, i, dir, sizeof(dir));
	rc = lock_point(dir, &fd);
	if (rc) {
		if (rc > 0)
			fprintf(stderr, "tmsim sweep: p%04u is being run by "
				"another process; not started\n", i);
		pl->nr_failed++;
		progress(pl, i, "not started", 0);
		return;
	}
	if (tm_sweep_point_done(pl->outdir, i)) {   /* finished meanwhile */
		close(fd);
		pl->nr_skipped++;
		progress(pl, i, "already complete", 0);
		return;
	}
	if (clean_point(dir))
		fprintf(stderr, "tmsim sweep: %s: cannot empty: %s\n", dir,
			strerror(errno));
	log_line(fd, "start pid %u\n", (unsigned)getpid());
	job->point = i;
	job->log_fd = fd;
	clock_gettime(CLOCK_MONOTONIC, &job->t0);
	job->pid = spawn_point(pl, i, dir);
	if (job->pid < 0) {
		perror("tmsim sweep: fork");
		log_line(fd, "failed fork\n");
		close(fd);
		job->pid = 0;
		pl->nr_failed++;
		return;
	}
	pl->nr_running++;
}

/* The first line of a failed point's run.err, for the terminal. */
static void show_failure(const char *outdir, uint32_t i, int status)
{
	char path[TM_PATH_MAX + 64], line[512] = "";
	size_t n;
	FILE *f;

	tm_sweep_point_dir(outdir, i, path, sizeof(path));
	n = strlen(path);
	snprintf(path + n, sizeof(path) - n, "/run.err");
	f = fopen(path, "r");
	if (f && !fgets(line, sizeof(line), f))
		line[0] = '\0';
	if (f)
		fclose(f);
	line[strcspn(line, "\n")] = '\0';
	fprintf(stderr, "tmsim sweep: p%04u failed (%s %d): %s\n", i,
		WIFEXITED(status) ? "exit" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		line[0] ? line : "(no message)");
}

static void finish_job(struct sweep_pool *pl, struct sweep_job *job,
		       int status)
{
	struct timespec t1;
	double secs;
	int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		 tm_sweep_point_done(pl->outdir, job->point);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - job->t0.tv_sec) +
	       (double)(t1.tv_nsec - job->t0.tv_nsec) * 1e-9;
	if (ok)
		log_line(job->log_fd, "done\n");
	else
		log_line(job->log_fd, "failed status %d\n", status);
	close(job->log_fd);
	pl->nr_running--;
	if (ok) {
		pl->nr_ran++;
	} else {
		pl->nr_failed++;
		if (pl->tty && !pl->a->quiet)
			fputc('\n', stderr);
		show_failure(pl->outdir, job->point, status);
	}
	progress(pl, job->point, ok ? "done" : "failed", secs);
	job->pid = 0;
}

static void reap_one(struct sweep_pool *pl)
{
	int status;
	pid_t pid = waitpid(-1, &status, 0);

	if (pid < 0) {
		if (errno != EINTR) {
			perror("tmsim sweep: waitpid");
			exit(1);
		}
		return;
	}
	for (unsigned j = 0; j < pl->a->jobs; j++)
		if (pl->jobs[j].pid == pid)
			finish_job(pl, &pl->jobs[j], status);
}

/* Run the points in todo[], at most a->jobs at once. */
static void run_pool(struct sweep_pool *pl, const uint32_t *todo)
{
	uint32_t next = 0;

	pl->jobs = tm_xcalloc(pl->a->jobs, sizeof(*pl->jobs));
	progress(pl, 0, NULL, 0);
	while (next < pl->nr_todo || pl->nr_running) {
		for (unsigned j = 0; j < pl->a->jobs && next < pl->nr_todo; j++)
			if (!pl->jobs[j].pid)
				start_point(pl, &pl->jobs[j], todo[next++]);
		if (pl->nr_running)
			reap_one(pl);
	}
	if (pl->tty && !pl->a->quiet)
		fputc('\n', stderr);
	free(pl->jobs);
}

/* The points this invocation runs: shard / --point, not yet complete. */
static uint32_t *select_points(const struct tm_sweep *sw,
			       const struct sweep_args *a, const char *outdir,
			       uint32_t *nr, uint32_t *nr_done)
{
	uint32_t *todo = tm_xmalloc((sw->nr_points + 1) * sizeof(*todo));

	*nr = *nr_done = 0;
	for (uint32_t i = 0; i < sw->nr_points; i++) {
		if (!tm_sweep_in_shard(i, a->shard_i, a->shard_n) ||
		    (a->point >= 0 && i != (uint32_t)a->point))
			continue;
		if (tm_sweep_point_done(outdir, i))
			(*nr_done)++;
		else
			todo[(*nr)++] = i;
	}
	return todo;
}

static int cmd_run_points(const struct tm_sweep *sw,
			  const struct sweep_args *a, const char *outdir)
{
	struct sweep_pool pl = { .sw = sw, .a = a, .outdir = outdir };
	struct tm_error err;
	uint32_t *todo, nr_done;

	if (tm_sweep_check(sw, &err)) {
		fprintf(stderr, "tmsim sweep: %s\n", err.msg);
		return tm_err_exit_status(err.code);
	}
	if (self_exe(pl.exe, sizeof(pl.exe))) {
		perror("tmsim sweep: /proc/self/exe");
		return 1;
	}
	if (a->point < 0 && write_sweep_json(sw, outdir))
		return 1;
	pl.tty = isatty(STDERR_FILENO);
	todo = select_points(sw, a, outdir, &pl.nr_todo, &nr_done);
	if (!a->quiet && (nr_done || !pl.tty))
		fprintf(stderr, "tmsim sweep: %s: %u points to run, %u already "
			"complete, -j %u\n", sw->name, pl.nr_todo, nr_done,
			a->jobs);
	run_pool(&pl, todo);
	free(todo);
	if (pl.nr_failed) {
		fprintf(stderr, "tmsim sweep: %u points failed; rerun to retry "
			"them\n", pl.nr_failed);
		return 1;
	}
	if (a->point >= 0 || a->shard_n > 1)
		return 0;
	return do_merge(sw, outdir, 0);
}

int tm_cmd_sweep(int argc, char **argv)
{
	struct sweep_args a;
	struct tm_sweep *sw = NULL;
	struct tm_error err;
	const char *outdir;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (tm_sweep_load(a.file, &sw, &err)) {
		fprintf(stderr, "tmsim sweep: %s\n", err.msg);
		return tm_err_exit_status(err.code);
	}
	if (a.point >= (int64_t)sw->nr_points) {
		fprintf(stderr, "tmsim sweep: --point %lld: expected 0 to %u\n",
			(long long)a.point, sw->nr_points - 1);
		tm_sweep_free(sw);
		return 2;
	}
	outdir = a.outdir ? a.outdir : sw->output;
	if (a.list)
		rc = cmd_list(sw, &a, outdir);
	else if (a.merge)
		rc = do_merge(sw, outdir, a.partial);
	else
		rc = cmd_run_points(sw, &a, outdir);
	tm_sweep_free(sw);
	return rc;
}
