"""test_layout.py - every ctypes structure of python/icmpring/_lib.py has
the size, field offsets and field sizes that the C compiler gives its twin in
include/icmpring.h (printed by struct-layout, $ICR_STRUCT_LAYOUT).  A field
appended to a C struct changes its size, so the binding must follow."""
import ctypes
import os
import subprocess
import unittest

from icmpring import _lib


def c_layout():
    out = subprocess.run([os.environ['ICR_STRUCT_LAYOUT']], check=True, capture_output=True,
                         text=True).stdout
    sizes, offsets = {}, {}
    for line in out.splitlines():
        s, f, *v = line.split()
        if f == 'sizeof':
            sizes[s] = int(v[0])
        else:
            offsets.setdefault(s, {})[f] = (int(v[0]), int(v[1]))
    return sizes, offsets


def py_offsets(cls):
    """{field: (offset, size)}, the members of an anonymous union inlined."""
    out = {}
    for name, _ in cls._fields_:
        off = getattr(cls, name).offset
        if name in getattr(cls, '_anonymous_', ()):
            utype = dict(cls._fields_)[name]
            for sub, _t in utype._fields_:
                out[sub] = (off + getattr(utype, sub).offset, getattr(utype, sub).size)
        else:
            out[name] = (off, getattr(cls, name).size)
    return out


class Layout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sizes, cls.offsets = c_layout()

    def test_same_structs(self):
        self.assertEqual(set(self.sizes), set(_lib.STRUCTS))

    def test_sizes(self):
        for name, cls in _lib.STRUCTS.items():
            with self.subTest(struct=name):
                self.assertEqual(ctypes.sizeof(cls), self.sizes[name],
                                 f'struct {name}: C {self.sizes[name]} bytes, '
                                 f'ctypes {ctypes.sizeof(cls)}')

    def test_fields_and_offsets(self):
        for name, cls in _lib.STRUCTS.items():
            with self.subTest(struct=name):
                self.assertEqual(py_offsets(cls), self.offsets[name])

    def test_size_field_is_set(self):
        # _new() fills `size` as the *_INIT macros do.
        for name, cls in _lib.STRUCTS.items():
            if 'size' in dict(cls._fields_):
                self.assertEqual(_lib._new(cls).size, self.sizes[name], name)


if __name__ == '__main__':
    unittest.main()
