package testdb

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Freeze stops a local server of the fault set and every process it has started
// (PostgreSQL's backends), as a host that hangs would: its sockets stay open and
// nothing answers. pidVar names the variable with its process ID, e.g.
// SHOP_FAULT_REDIS_PID. The returned function thaws it; so does the test's end.
func Freeze(t testing.TB, pidVar string) (thaw func()) {
	t.Helper()
	pid, err := strconv.Atoi(Env(t, pidVar))
	if err != nil {
		t.Fatalf("%s: %v", pidVar, err)
	}
	procs := append([]int{pid}, children(pid)...)
	for _, p := range procs {
		if err := syscall.Kill(p, syscall.SIGSTOP); err != nil {
			t.Fatalf("freeze %s %d: %v", pidVar, p, err)
		}
	}
	thawed := false
	thaw = func() {
		if thawed {
			return
		}
		thawed = true
		for _, p := range procs {
			_ = syscall.Kill(p, syscall.SIGCONT)
		}
	}
	t.Cleanup(thaw)
	return thaw
}

// children lists the processes pid started, from /proc.
func children(pid int) []int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	var out []int
	for _, task := range tasks {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/children")
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}
