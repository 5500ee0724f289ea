package importing

import "testing"

func TestISODate(t *testing.T) {
	for in, want := range map[string]string{"05.03.2024": "2024-03-05", "2024-03-05": "2024-03-05", "5.3.2024": "5.3.2024", "ab.cd.efgh": "ab.cd.efgh"} {
		if got := isoDate(in); got != want {
			t.Errorf("isoDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDateFormat(t *testing.T) {
	s := func(x string) *string { return &x }
	for _, c := range []struct {
		id     int
		custom *string
		want   bool
	}{
		{14, nil, true}, {22, nil, true}, {0, nil, false}, {2, nil, false}, {20, nil, false},
		{164, s("dd.mm.yyyy"), true}, {164, s(`[$-419]d mmmm yyyy "г."`), true}, {164, s("mm:ss"), false},
		{164, s(`# ##0 "дней"`), false}, {164, s("0.00%"), false}, {164, s("General"), false},
	} {
		if got := dateFormat(c.id, c.custom); got != c.want {
			t.Errorf("dateFormat(%d, %v) = %v", c.id, c.custom, got)
		}
	}
}
