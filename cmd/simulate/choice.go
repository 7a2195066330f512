package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// option is one entry of a choice's table: the name a user types and what
// it means to the command.
type option[T any] struct {
	name string
	val  T
}

// choice is a flag whose value is one name of a table. Set rejects any
// other name, so the value is checked once, when the flags are parsed, and
// the command reads what it means with Get instead of switching on the
// string again.
type choice[T any] struct {
	flag  string
	table []option[T]
	cur   int
}

// newChoice returns a choice for --flag over table, set to def (which must
// be in the table).
func newChoice[T any](flag, def string, table ...option[T]) *choice[T] {
	c := &choice[T]{flag: flag, table: table, cur: -1}
	if err := c.Set(def); err != nil {
		panic(fmt.Sprintf("simulate: default of --%s: %v", flag, err))
	}
	return c
}

// Names returns the table's names, comma-separated, for help texts.
func (c *choice[T]) Names() string {
	names := make([]string, len(c.table))
	for i, o := range c.table {
		names[i] = o.name
	}
	return strings.Join(names, ", ")
}

// String implements flag.Value.
func (c *choice[T]) String() string {
	if c == nil || c.cur < 0 || c.cur >= len(c.table) {
		return ""
	}
	return c.table[c.cur].name
}

// Set implements flag.Value.
func (c *choice[T]) Set(s string) error {
	i, err := index(c.flag, s, c.table)
	if err == nil {
		c.cur = i
	}
	return err
}

// index returns the position of name in table (case-insensitively), or
// the error naming the flag and what it offers.
func index[T any](flag, name string, table []option[T]) (int, error) {
	for i, o := range table {
		if strings.EqualFold(o.name, name) {
			return i, nil
		}
	}
	names := make([]string, len(table))
	for i, o := range table {
		names[i] = o.name
	}
	return -1, fmt.Errorf("unknown --%s %q (available: %s)", flag, name, strings.Join(names, ", "))
}

// list parses a comma-separated list flag whose items come from table,
// returning the items' names and values in order; an unknown item is a
// usage error naming the flag.
func list[T any](flag, s string, table []option[T]) ([]option[T], error) {
	var out []option[T]
	for _, item := range strings.Split(s, ",") {
		i, err := index(flag, strings.TrimSpace(item), table)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		out = append(out, table[i])
	}
	return out, nil
}

// Get returns what the chosen name means.
func (c *choice[T]) Get() T { return c.table[c.cur].val }

// UnmarshalJSON reads a name a configuration recorded.
func (c *choice[T]) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	return c.Set(s)
}

// MarshalJSON records the name in configurations.
func (c *choice[T]) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", c.String())), nil }
