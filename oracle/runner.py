#!/usr/bin/env python3
"""The python runner of refheap's differential oracle (docs/oracle.md).

    python3 -I -S oracle/runner.py SCENARIO_FILE   the scenario's event log on stdout
    python3 -I -S oracle/runner.py -               the scenario from stdin
    python3 -I -S oracle/runner.py --batch         a JSON list of scenario texts on stdin; prints a
                                                   JSON list of logs, each from a fresh interpreter

A malformed scenario prints `parse-error LINE: message` on stderr and exits 2.

How it works: the scenario is parsed, then translated into straight-line Python source (helpers and
declarations first, then the baseline collection, then one block per body line), compiled, and run
with exec() in a fresh globals dict. Every helper, constant and class exists before the baseline,
and the body's statements allocate no GC-tracked object that their Python meaning does not
allocate, so gc.get_count() and the moment automatic collections start are CPython's own (see
"Keeping CPython's counts clean" and "Notes from the python runner" in docs/oracle.md).
Scenario names live in the globals dict as `S_name`; everything else the generated code uses starts
with `_` or is one of a few upper-case tables, so the two never meet.
"""

import keyword
import re
import sys

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
INT_RE = re.compile(r"-?[0-9]+\Z")
STR_RE = re.compile(r"'[A-Za-z0-9_]*'\Z")
SINGLETONS = ("None", "True", "False")
METHOD_CB_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.cb\Z")  # `ref W X O.cb`: the bound method O.cb


class ParseError(Exception):
    def __init__(self, line, message):
        super().__init__(message)
        self.line = line
        self.message = message


# ---------------------------------------------------------------------------------------------
# Parsing


def is_name(tok):
    return NAME_RE.match(tok) is not None and tok not in SINGLETONS


def is_value(tok):
    return is_name(tok) or INT_RE.match(tok) is not None or STR_RE.match(tok) is not None or tok in SINGLETONS


class ClassDecl:
    def __init__(self, line, name):
        self.line = line
        self.name = name
        self.base = None  # the name of its one base class, or None
        self.cb = False  # defines `def cb(self, w): _cb(w)`, for `ref W X O.cb` callbacks
        self.slots = None  # None: ordinary class; a list: __slots__
        self.weak = False
        self.dels = None  # finalizer actions, or None
        self.tpdels = None  # legacy finalizer actions, or None


class Scenario:
    def __init__(self):
        self.classes = []  # ClassDecl, in order
        self.containers = []  # (kind, name, line)
        self.body = []  # (line, op, args)


FIN_ACTION = re.compile(
    r"(log|collect|throw|resurrect:[A-Za-z_]\w*|clear:[A-Za-z_]\w*|new:[A-Za-z_]\w*:[A-Za-z_]\w*)\Z", re.ASCII
)
CB_ACTION = re.compile(r"(log|collect|throw|drop:[A-Za-z_]\w*)\Z", re.ASCII)
GCCB_ACTION = re.compile(r"(collect|throw)\Z")

# Each body operation: its fixed argument shapes, then the shape of further arguments (None: none).
OPS = {
    "new": (("name", "name"), "name"),
    "list": (("name",), "value"),
    "tuple": (("name",), "value"),
    "dict": (("name",), "value"),
    "let": (("name", "value"), None),
    "del": (("name",), "name"),
    "set": (("field", "value"), None),
    "unset": (("field",), None),
    "append": (("name", "value"), None),
    "setitem": (("name", "value", "value"), None),
    "delitem": (("name", "value"), None),
    "pop": (("name",), None),
    "clear": (("name",), None),
    "add": (("name", "value"), None),
    "discard": (("name", "value"), None),
    "ref": (("name", "name"), "any"),
    "proxy": (("name", "name"), "any"),
    "wm": (("name", "any"), "any"),
    "finalize": (("name", "name"), None),
    "call": (("name",), None),
    "iter": (("name", "name"), None),
    "next": (("name",), None),
    "close": (("name",), None),
    "loop": (("int", "name"), "any"),
    "collect": ((), "int"),
    "enable": ((), None),
    "disable": ((), None),
    "freeze": ((), None),
    "unfreeze": ((), None),
    "threshold": (("int",), "int"),
    "debug": (("int",), None),
    "gccb": (("any",), "any"),
    "cleargarbage": ((), None),
    "show": (("any",), "any"),
}

QUERIES = {
    "count": (),
    "threshold": (),
    "enabled": (),
    "stats": (),
    "freeze": (),
    "tracked": ("name",),
    "finalized": ("name",),
    "referents": ("name",),
    "objects": ("int",),
    "garbage": (),
    "refcount": ("name",),
    "deref": ("name",),
    "wrcount": ("name",),
    "wrlist": ("name",),
    "len": ("name",),
    "get": ("name", "value"),
    "has": ("name", "value"),
    "items": ("name",),
    "proxy": ("name", "name"),
}


def check_shape(line, tok, shape):
    if shape == "any":
        return
    if shape == "name":
        ok = is_name(tok)
    elif shape == "int":
        ok = INT_RE.match(tok) is not None
    elif shape == "value":
        ok = is_value(tok)
    elif shape == "field":
        parts = tok.split(".")
        ok = len(parts) == 2 and is_name(parts[0]) and NAME_RE.match(parts[1]) is not None
        if ok:
            check_field(line, parts[1])
    else:
        raise AssertionError(shape)
    if not ok:
        raise ParseError(line, "'%s' is not a %s" % (tok, shape))


def check_field(line, f):
    """A field is an attribute name the generated Python code can spell: no keyword, no dunder."""
    if keyword.iskeyword(f):
        raise ParseError(line, "'%s': a field cannot be a Python keyword" % f)
    if f.startswith("__") and f.endswith("__"):
        raise ParseError(line, "'%s': dunder fields are not part of the language" % f)


def check_actions(line, actions, pattern, what):
    for a in actions:
        if pattern.match(a) is None:
            raise ParseError(line, "unknown %s action '%s'" % (what, a))


BUILTIN_BASES = ("list", "dict", "ref")


def check_base(line, c, classes):
    """The rules src/oracle/scenario.ts's checkBase states: a base declared before (or list or
    dict), no weak when the base is weakrefable already, a slot declared once along a chain, no
    finalizer on a subclass of list or dict."""
    if c.base is None:
        return
    chain = []
    b = c.base
    while b is not None and b not in BUILTIN_BASES:
        d = next((x for x in classes if x.name == b), None)
        if d is None:
            raise ParseError(line, "base %s is not a class declared before %s" % (b, c.name))
        chain.append(d)
        b = d.base
    if b is not None and (c.dels is not None or c.tpdels is not None):
        raise ParseError(line, "%s subclasses %s: no del or tpdel (refheap refuses finalizers on subclasses of built-in types)" % (c.name, b))
    inherits_weak = any(d.slots is None or d.weak for d in chain)
    if c.slots is not None and c.weak and inherits_weak:
        raise ParseError(line, "%s cannot add weak: its base is weakrefable already" % c.name)
    for slot in c.slots or []:
        owner = next((d for d in chain if d.slots and slot in d.slots), None)
        if owner is not None:
            raise ParseError(line, "slot %s is declared by %s, a base of %s, already" % (slot, owner.name, c.name))


def parse_class(line, toks):
    if len(toks) < 2 or not is_name(toks[1]):
        raise ParseError(line, "class needs a name")
    if toks[1] in BUILTIN_BASES:
        raise ParseError(line, "'%s' names a built-in type" % toks[1])
    c = ClassDecl(line, toks[1])
    section = None
    for tok in toks[2:]:
        if section == "base":
            if not is_name(tok):
                raise ParseError(line, "'%s' is not a class name" % tok)
            c.base = tok
            section = None
        elif tok == "base":
            if c.base is not None:
                raise ParseError(line, "base given twice (one base only)")
            section = "base"
        elif tok == "slots":
            if c.slots is not None:
                raise ParseError(line, "slots given twice")
            c.slots = []
            section = "slots"
        elif tok == "weak":
            c.weak = True
            section = None
        elif tok == "cb":
            c.cb = True
            section = None
        elif tok == "del":
            if c.dels is not None:
                raise ParseError(line, "del given twice")
            c.dels = []
            section = "del"
        elif tok == "tpdel":
            if c.tpdels is not None:
                raise ParseError(line, "tpdel given twice")
            c.tpdels = []
            section = "tpdel"
        elif section == "slots":
            if not is_name(tok):
                raise ParseError(line, "'%s' is not a field name" % tok)
            check_field(line, tok)
            if tok in c.slots:
                raise ParseError(line, "slot '%s' given twice" % tok)
            c.slots.append(tok)
        elif section == "del":
            c.dels.append(tok)
        elif section == "tpdel":
            c.tpdels.append(tok)
        else:
            raise ParseError(line, "unexpected '%s' in a class declaration" % tok)
    if section == "base":
        raise ParseError(line, "base needs a class name")
    for acts in (c.dels, c.tpdels):
        if acts is not None:
            check_actions(line, acts, FIN_ACTION, "finalizer")
            for a in acts:
                if a.startswith("clear:"):
                    check_field(line, a[6:])
    return c


def check_op(line, op, args):
    spec = OPS.get(op)
    if spec is None:
        raise ParseError(line, "unknown operation '%s'" % op)
    fixed, rest = spec
    if len(args) < len(fixed) or (rest is None and len(args) > len(fixed)):
        raise ParseError(line, "'%s' takes %d argument(s), got %d" % (op, len(fixed), len(args)))
    for i, tok in enumerate(args):
        check_shape(line, tok, fixed[i] if i < len(fixed) else rest)
    if op in ("ref", "proxy"):
        lam = len(args) > 2 and (args[2] == "lambda" or METHOD_CB_RE.match(args[2]) is not None)
        acts = args[3:] if lam else args[2:]
        check_actions(line, acts, CB_ACTION, "callback")
        if lam and "throw" in acts:
            raise ParseError(line, "a lambda or method callback cannot throw (its own frame would join the traceback); use log, drop:X or collect")
    elif op == "wm":
        if METHOD_CB_RE.match(args[1]) is None:
            raise ParseError(line, "wm W O.cb [ACT ...]")
        check_actions(line, args[2:], CB_ACTION, "callback")
        if "throw" in args[2:]:
            raise ParseError(line, "a WeakMethod's callback cannot throw (its _cb's frame would join the traceback); use log, drop:X or collect")
    elif op == "new":
        if len(args) > 3:
            raise ParseError(line, "new X C, or new W R X for a subclass of ref")
    elif op == "dict":
        if (len(args) - 1) % 2:
            raise ParseError(line, "dict needs key value pairs")
    elif op == "loop":
        if int(args[0]) < 0:
            raise ParseError(line, "loop count must not be negative")
        if len(args) > 2 and (len(args) != 4 or args[2] != "keep" or not is_name(args[3])):
            raise ParseError(line, "loop N C [keep X]")
    elif op == "collect":
        if len(args) > 1:
            raise ParseError(line, "collect [G]")
    elif op == "threshold":
        if len(args) > 3:
            raise ParseError(line, "threshold T0 [T1 [T2]]")
    elif op == "gccb":
        if args[0] == "clear" and len(args) == 1:
            return
        if args[0] != "add":
            raise ParseError(line, "gccb add [ACT ...] or gccb clear")
        check_actions(line, args[1:], GCCB_ACTION, "gc callback")
    elif op == "show":
        q = QUERIES.get(args[0])
        if q is None:
            raise ParseError(line, "unknown query '%s'" % args[0])
        if len(args) - 1 != len(q):
            raise ParseError(line, "'show %s' takes %d argument(s)" % (args[0], len(q)))
        for i, shape in enumerate(q):
            check_shape(line, args[i + 1], shape)
        if args[0] == "proxy":
            check_field(line, args[2])


def builtin_base(c, classes):
    b = c.base
    while b is not None and b not in BUILTIN_BASES:
        d = next((x for x in classes if x.name == b), None)
        b = d.base if d is not None else None
    return b


def check_new(line, op, args, classes):
    """src/oracle/scenario.ts's checkNew: `new W R X` for a subclass of ref R, and only then."""
    if op != "new":
        return
    c = next((d for d in classes if d.name == args[1]), None)
    is_ref = c is not None and builtin_base(c, classes) == "ref"
    if len(args) == 3 and not is_ref:
        raise ParseError(line, "'new W R X' needs R to be a class declared with base ref")
    if len(args) == 2 and is_ref:
        raise ParseError(line, "%s subclasses ref: make one with 'new W %s X'" % (c.name, c.name))


def parse(text):
    scn = Scenario()
    declared = {}
    for i, raw in enumerate(text.split("\n")):
        line = i + 1
        h = raw.find("#")
        toks = (raw if h < 0 else raw[:h]).split()
        if not toks:
            continue
        head = toks[0]
        if head in ("class", "wvd", "wkd", "wset"):
            if scn.body:
                raise ParseError(line, "declarations come before the body")
            if head == "class":
                decl = parse_class(line, toks)
                check_base(line, decl, scn.classes)
                name = decl.name
                scn.classes.append(decl)
            else:
                if len(toks) != 2 or not is_name(toks[1]):
                    raise ParseError(line, "%s NAME" % head)
                name = toks[1]
                scn.containers.append((head, name, line))
            if name in declared:
                raise ParseError(line, "'%s' is declared twice" % name)
            declared[name] = head
            continue
        check_op(line, head, toks[1:])
        check_new(line, head, toks[1:], scn.classes)
        scn.body.append((line, head, toks[1:]))
    return scn


# ---------------------------------------------------------------------------------------------
# Translation
#
# The prelude: helpers run by the body, by finalizers, callbacks and the unraisable hook. None of
# them allocates a GC-tracked object (strs and ints are not tracked; a list's item array and a
# dict's table are not GC objects; calling a Python function allocates no frame object unless an
# exception passes through it).

PRELUDE = r'''
import gc, sys, weakref
L = []                  # the event log
LBL = {}                # id(obj) -> label, written when the object is created
TYP = {-1: weakref.finalize}  # id(obj) -> id(type(obj)): ids, so that a label keeps no class alive;
                              # a heap type in it now keeps the dict tracked from before the
                              # baseline (it would join generation 0 later)
FP = {}                 # id -> fingerprint: a tuple's, list's or dict's items; a weakref's referent
CBA = {}                # id(weakref) -> the actions of its callback
ITK = {}                # id(iterator) -> 1 when it yields (k, v) pairs, else 0
_CBS = {}               # ids of the runner's own weakref callbacks
_CRM = {}               # ids of the weak containers' own callbacks (their `_remove`)
_MK = []                # what is running (for the unraisable hook): 'del X', 'cb W', 'gccb'
_OPEN = []              # names of iterators opened by `iter`, oldest first
_D = 1                  # > 0 while the runner's own gc.collect() runs (or before the body)
_G = globals()
_END = object()         # next()'s default: an exhausted iterator raises nothing
E = ZeroDivisionError('throw')
_REF = weakref.ReferenceType
_KREF = weakref.KeyedRef
_WVD = weakref.WeakValueDictionary
_WKD = weakref.WeakKeyDictionary
_WS = weakref.WeakSet
_FIN = weakref.finalize
_WCR = ()               # weakrefs to the weak containers (their own selfref: no new object)
_S0 = [0, 0, 0, 0, 0, 0, 0, 0, 0]   # gc.get_stats() at the baseline
_t = None
_r = None
_n = None
_o = None
_q = True
_i = 0

def _I(x):
    return x

def _hx(v):
    # A fingerprint of a tuple's, list's or dict's items (their ids): a labelled list or dict that
    # died can leave its address to an unlabelled one (an instance's __dict__, a weak container's
    # list), which must not inherit the label. Lists and dicts are refingerprinted after every line
    # that mutates them. Iterating a dict makes a key iterator: a GC object without a freelist,
    # freed at once, so with the collector off it leaves the counts as they were.
    t = type(v)
    n = len(v)
    h = n + 1
    if t is dict:
        q = gc.isenabled()
        gc.disable()
        for k in v:
            h = (h * 1000003 + id(k)) % 2305843009213693951
            h = (h * 1000003 + id(v[k])) % 2305843009213693951
        if q:
            gc.enable()
        return h
    i = 0
    while i < n:
        h = (h * 1000003 + id(v[i])) % 2305843009213693951
        i += 1
    return h

def _rf(v):
    # After a line mutated v: its new fingerprint, if v is a labelled list or dict.
    t = type(v)
    if t is list or t is dict:
        i = id(v)
        if TYP.get(i) == id(t) and i in LBL:
            FP[i] = _hx(v)

def _lab(o, s):
    i = id(o)
    t = type(o)
    LBL[i] = s
    TYP[i] = id(t)
    if t is tuple or t is list or t is dict:
        FP[i] = _hx(o)
    elif t is _REF:
        r = o()
        if r is None:
            FP[i] = 0
        else:
            FP[i] = id(r)

def _inwvd(v):
    # A dead KeyedRef still in a WeakValueDictionary (its removal is pending while iterating).
    j = 0
    n = len(_WCR)
    while j < n:
        c = _WCR[j]()
        if c is not None and type(c) is _WVD and c.data.get(v.key) is v:
            return True
        j += 1
    return False

def _inpend(v):
    j = 0
    n = len(_WCR)
    while j < n:
        c = _WCR[j]()
        if c is not None:
            p = c._pending_removals
            k = 0
            m = len(p)
            while k < m:
                if p[k] is v:
                    return True
                k += 1
        j += 1
    return False

def _lb(v):
    # The label of v; '~' for loop objects and for the weakrefs the weak containers and finalize
    # objects make; None for anything else.
    t = type(v)
    i = id(v)
    if t is _REF or t is _KREF:
        c = v.__callback__
        if c is not None:
            if id(c) in _CRM or type(c) is _FIN:
                return '~'
            if id(c) not in _CBS and c.__name__ != '<lambda>':
                return None
        elif t is _KREF:
            if _inwvd(v):
                return '~'
            return None
        elif _inpend(v):
            return '~'
        s = LBL.get(i)
        if s is None or TYP.get(i) != id(t):
            return None
        r = v()
        if r is not None and FP.get(i) != id(r):
            return None
        return s
    s = LBL.get(i)
    if s is None or TYP.get(i) != id(t):
        return None
    if (t is tuple or t is list or t is dict) and FP.get(i) != _hx(v):
        return None
    return s

def _fmt(v):
    if v is None:
        return 'None'
    t = type(v)
    if t is int or t is bool or t is str:
        return repr(v)
    s = _lb(v)
    if s is not None:
        return s
    if issubclass(t, type):
        return v.__name__
    return '?' + t.__name__

def _fl(r, f=None):
    # f formats one item (_fmt by default); index loop, so no iterator object is allocated
    if f is None:
        f = _fmt
    s = '['
    i = 0
    n = len(r)
    while i < n:
        if i:
            s = s + ', '
        s = s + f(r[i])
        i += 1
    return s + ']'

def _fpair(p):
    if type(p) is tuple and len(p) == 2:
        return '(' + _fmt(p[0]) + ', ' + _fmt(p[1]) + ')'
    return _fmt(p)

def _flab(r):
    s = '['
    i = 0
    n = len(r)
    f = True
    while i < n:
        x = _lb(r[i])
        if x is not None:
            if not f:
                s = s + ', '
            s = s + x
            f = False
        i += 1
    return s + ']'

def _fst(r):
    s = 'stats'
    g = 0
    while g < 3:
        d = r[g]
        s = (s + ' ' + repr(d['collections'] - _S0[3 * g]) + '/' + repr(d['collected'] - _S0[3 * g + 1])
             + '/' + repr(d['uncollectable'] - _S0[3 * g + 2]))
        g += 1
    return s

def _err(n, e):
    t = type(e)
    if t is KeyError and len(e.args) == 1:
        m = _fmt(e.args[0])
    elif t is NameError and type(e.name) is str and len(e.name) > 2 and e.name[0] == 'S' and e.name[1] == '_':
        m = "name '" + e.name.removeprefix('S_') + "' is not defined"
    else:
        m = '%s' % e
    L.append('error ' + repr(n) + ' ' + t.__name__ + ': ' + m)

def _hook(a):
    if _MK:
        s = _MK.pop()
    else:
        s = '?'
    L.append('unraisable ' + s)
    v = a.exc_value
    if v is not None:
        v.__traceback__ = None
        v.__context__ = None

def _cb(w):
    global _D
    s = LBL.get(id(w), '?')
    _MK.append('cb ' + s)
    L.append('cb ' + s)
    a = CBA.get(id(w), ())
    n = len(a)
    i = 0
    x = False
    while i < n:
        k = a[i]
        if k == 'collect':
            _D += 1
            y = gc.collect()
            _D -= 1
            L.append('collect 2 -> ' + repr(y))
        elif k == 'throw':
            x = True
        else:
            _G.pop(k, None)
        i += 1
    if x:
        raise E
    _MK.pop()
_CBS[id(_cb)] = 1

def _fin(name):
    L.append('finalize ' + name)

def _gca(p, i):
    if _D == 0 and p == 'stop':
        L.append('auto ' + repr(i['generation']) + ' collected=' + repr(i['collected'])
                 + ' uncollectable=' + repr(i['uncollectable']))

def _opn(n):
    if n in _OPEN:
        _OPEN.remove(n)
    _OPEN.append(n)

def _cls(n):
    if n in _OPEN:
        _OPEN.remove(n)

def _close_all():
    i = 0
    while i < len(_OPEN):
        k = 'S_' + _OPEN[i]
        if k in _G:
            del _G[k]
        i += 1

def _alive():
    # After the body: allocations no longer matter. Every object still alive is reached from the
    # tracked objects through gc.get_referents.
    gc.disable()
    gc.unfreeze()
    objs = gc.get_objects()
    seen = {}
    own = {id(objs), id(seen)}
    while objs:
        o = objs.pop()
        i = id(o)
        if i in seen or i in own:
            continue
        seen[i] = o
        objs.extend(gc.get_referents(o))
    labs = []
    for o in seen.values():
        s = _lb(o)
        if s is not None and s != '~':
            labs.append(s)
    labs.sort()
    L.append('alive [' + ', '.join(labs) + ']')
'''


def pyname(name):
    return "S_" + name


def pyval(tok):
    if tok in SINGLETONS:
        return tok
    if INT_RE.match(tok):
        return repr(int(tok))
    if STR_RE.match(tok):
        return tok
    return pyname(tok)


def is_const(tok):
    return not is_name(tok)


class Translator:
    def __init__(self, scn):
        self.scn = scn
        self.out = []

    def emit(self, s, indent=0):
        self.out.append("    " * indent + s)

    # -- declarations -----------------------------------------------------------------------

    def finalizer_function(self, fname, cls, actions):
        """A __del__ (or __tp_del__) running the actions in its own frame, so that an exception
        (`throw`, or a failing `clear:F`) unwinds exactly one Python frame."""
        e = self.emit
        e("def %s(self):" % fname)
        e("global _D", 1)
        e("s = LBL.get(id(self), '?')", 1)
        e("_MK.append('del ' + s)", 1)
        throw = False
        for a in actions:
            if a == "log":
                e("L.append('del ' + s)", 1)
            elif a == "collect":
                e("_D += 1", 1)
                e("y = gc.collect()", 1)
                e("_D -= 1", 1)
                e("L.append('collect 2 -> ' + repr(y))", 1)
            elif a == "throw":
                throw = True
            elif a.startswith("resurrect:"):
                e("_G[%r] = self" % pyname(a.split(":")[1]), 1)
            elif a.startswith("clear:"):
                e("self.%s = None" % a.split(":")[1], 1)
            elif a.startswith("new:"):
                _, c, x = a.split(":")
                e("y = %s()" % pyname(c), 1)
                e("_lab(y, %r)" % x, 1)
                e("_G[%r] = y" % pyname(x), 1)
                e("y = None", 1)
            else:
                raise AssertionError(a)
        if throw:
            e("raise E", 1)
        e("_MK.pop()", 1)

    def declarations(self):
        e = self.emit
        scn = self.scn
        if any(c.tpdels is not None for c in scn.classes):
            e("import _testcapi")
        # Everything made so far (the globals dict and the helpers) goes to generation 2 first, so
        # it is older than the classes whatever the parser and translator allocated before: the
        # order of the classes' objects in the generation lists then depends on the scenario alone.
        e("gc.collect()")
        for c in scn.classes:
            ns = []
            if c.slots is not None:
                slots = list(c.slots) + (["__weakref__"] if c.weak else [])
                ns.append("'__slots__': %r" % (tuple(slots),))
            if c.dels is not None:
                self.finalizer_function("_del_" + c.name, c, c.dels)
                ns.append("'__del__': _del_%s" % c.name)
            if c.tpdels is not None:
                self.finalizer_function("_tpdel_" + c.name, c, c.tpdels)
                ns.append("'__tp_del__': _tpdel_%s" % c.name)
            if c.cb:
                # a function only the class dict holds, as a `def` in a class body makes
                ns.append("'cb': (lambda self, w: _cb(w))")
            if c.base in BUILTIN_BASES:
                bases = "(%s,)" % ("weakref.ref" if c.base == "ref" else c.base)
            else:
                bases = "(%s,)" % pyname(c.base) if c.base is not None else "()"
            make = "type(%r, %s, {%s})" % (c.name, bases, ", ".join(ns))
            if c.tpdels is not None:
                make = "_testcapi.with_tp_del(%s)" % make
            e("%s = %s" % (pyname(c.name), make))
        refs = []
        for kind, name, _line in scn.containers:
            ctor = {"wvd": "_WVD", "wkd": "_WKD", "wset": "_WS"}[kind]
            e("%s = %s()" % (pyname(name), ctor))
            e("_lab(%s, %r)" % (pyname(name), name))
            e("_CRM[id(%s._remove)] = 1" % pyname(name))
            refs.append("weakref.ref(%s)" % pyname(name))
        if refs:
            e("_WCR = (%s,)" % ", ".join(refs))
        # gc callbacks: one function per `gccb add` line, made now.
        for line, op, args in scn.body:
            if op == "gccb" and args[0] == "add":
                self.gccb_function(line, args[1:])
        # list.sort(key=...) builds its keyword parser's tuple the first time it is called.
        e("[].sort(key=_fmt)")
        # The first weakref.finalize registers an atexit hook (a bound method); do it now.
        e("_fz = weakref.finalize(_I, _I, None)")
        e("_fz.detach()")
        e("_fz = None")

    def gccb_function(self, line, actions):
        e = self.emit
        e("def _gk%d(p, i):" % line)
        e("global _D", 1)
        e("_MK.append('gccb')", 1)
        e(
            "L.append('gccb ' + p + ' ' + repr(i['generation']) + ' ' + repr(i['collected']) + ' '"
            " + repr(i['uncollectable']))",
            1,
        )
        for a in actions:
            if a == "collect":
                e("_D += 1", 1)
                e("y = gc.collect()", 1)
                e("_D -= 1", 1)
                e("L.append('collect 2 -> ' + repr(y))", 1)
        if "throw" in actions:
            e("raise E", 1)
        e("_MK.pop()", 1)

    def baseline(self):
        e = self.emit
        e("gc.callbacks.insert(0, _gca)")
        e("sys.unraisablehook = _hook")
        e("_F = sys._getframe()")
        e("gc.collect()")
        e("gc.collect()")
        e("_bN = len(gc.get_objects(2))")
        e("_r = gc.get_stats()")
        e("_i = 0")
        e("while _i < 3:")
        e("_S0[3 * _i] = _r[_i]['collections']", 1)
        e("_S0[3 * _i + 1] = _r[_i]['collected']", 1)
        e("_S0[3 * _i + 2] = _r[_i]['uncollectable']", 1)
        e("_i += 1", 1)
        e("_r = None")
        e("_i = 0")
        # The last collection empties the freelists the lines above filled; it is counted into
        # the stats baseline (it collects nothing).
        e("_bc = gc.collect()")
        e("_S0[6] += 1")
        e("_S0[7] += _bc")
        e("L.clear()")
        e("L.append('baseline ' + repr(_bN))")
        e("_D = 0")

    # -- body -------------------------------------------------------------------------------

    def body(self):
        for line, op, args in self.scn.body:
            self.out.append("# %d: %s %s" % (line, op, " ".join(args)))
            getattr(self, "op_" + op)(line, args)

    def guarded(self, line, stmts, after=()):
        """stmts inside try/except (zero-cost in 3.11 when nothing is raised); a caught error is
        logged as `error LINE Type: message`."""
        e = self.emit
        e("try:")
        for s in stmts:
            e(s, 1)
        e("except Exception as _e:")
        e("_err(%d, _e)" % line, 1)
        for s in after:
            e(s)

    def create(self, line, name, expr, extra=()):
        """`name = expr`, the new object labelled before it is bound."""
        stmts = ["_t = %s" % expr, "_lab(_t, %r)" % name]
        stmts.extend(extra)
        stmts.append("%s = _t" % pyname(name))
        self.guarded(line, stmts, after=("_t = None",))

    def op_new(self, line, args):
        self.create(line, args[0], "%s(%s)" % (pyname(args[1]), pyname(args[2]) if len(args) > 2 else ""))

    def op_list(self, line, args):
        self.create(line, args[0], "[%s]" % ", ".join(pyval(v) for v in args[1:]))

    def op_tuple(self, line, args):
        vals = [pyval(v) for v in args[1:]]
        if not vals:
            # () is a shared singleton: bound, not created, so not labelled.
            self.guarded(line, ["%s = ()" % pyname(args[0])])
            return
        if all(is_const(v) for v in args[1:]):
            # A tuple of constants would be folded into a constant at compile time; build it now.
            vals[0] = "_I(%s)" % vals[0]
        self.create(line, args[0], "(%s,)" % ", ".join(vals))

    def op_dict(self, line, args):
        items = args[1:]
        pairs = ["%s: %s" % (pyval(items[i]), pyval(items[i + 1])) for i in range(0, len(items), 2)]
        self.create(line, args[0], "{%s}" % ", ".join(pairs))

    def op_let(self, line, args):
        self.guarded(line, ["%s = %s" % (pyname(args[0]), pyval(args[1]))])

    def op_del(self, line, args):
        self.guarded(line, ["del %s" % ", ".join(pyname(a) for a in args)])

    def op_set(self, line, args):
        x, f = args[0].split(".")
        self.guarded(line, ["%s.%s = %s" % (pyname(x), f, pyval(args[1]))])

    def op_unset(self, line, args):
        x, f = args[0].split(".")
        self.guarded(line, ["del %s.%s" % (pyname(x), f)])

    def op_append(self, line, args):
        self.guarded(line, ["%s.append(%s)" % (pyname(args[0]), pyval(args[1])), "_rf(%s)" % pyname(args[0])])

    def op_setitem(self, line, args):
        self.guarded(
            line, ["%s[%s] = %s" % (pyname(args[0]), pyval(args[1]), pyval(args[2])), "_rf(%s)" % pyname(args[0])]
        )

    def op_delitem(self, line, args):
        self.guarded(line, ["del %s[%s]" % (pyname(args[0]), pyval(args[1])), "_rf(%s)" % pyname(args[0])])

    def op_pop(self, line, args):
        self.guarded(line, ["%s.pop()" % pyname(args[0]), "_rf(%s)" % pyname(args[0])])

    def op_clear(self, line, args):
        self.guarded(line, ["%s.clear()" % pyname(args[0]), "_rf(%s)" % pyname(args[0])])

    def op_add(self, line, args):
        self.guarded(line, ["%s.add(%s)" % (pyname(args[0]), pyval(args[1]))])

    def op_discard(self, line, args):
        self.guarded(line, ["%s.discard(%s)" % (pyname(args[0]), pyval(args[1]))])

    def weak(self, line, args, fn):
        meth = len(args) > 2 and METHOD_CB_RE.match(args[2]) is not None
        lam = len(args) > 2 and args[2] == "lambda"
        acts = [a for a in args[(3 if lam or meth else 2):] if a != "log"]
        acts = tuple(pyname(a[5:]) if a.startswith("drop:") else a for a in acts)
        if len(args) > 2:
            # A lambda callback is a new function object, held only by the weakref; `O.cb` a new
            # bound method of O's class's function cb (which runs `_cb(w)` as the lambda does).
            cb = "lambda w: _cb(w)" if lam else pyname(args[2][:-3]) + ".cb" if meth else "_cb"
            self.create(
                line, args[0], "weakref.%s(%s, %s)" % (fn, pyname(args[1]), cb), extra=("CBA[id(_t)] = %r" % (acts,),)
            )
        else:
            self.create(line, args[0], "weakref.%s(%s)" % (fn, pyname(args[1])))

    def op_ref(self, line, args):
        self.weak(line, args, "ref")

    def op_proxy(self, line, args):
        self.weak(line, args, "proxy")

    def op_wm(self, line, args):
        # weakref.WeakMethod(O.cb): O.cb is a new bound method, dead once the call returns; with
        # actions, the module's _cb is its callback (called with the WeakMethod).
        meth = pyname(args[1][:-3]) + ".cb"
        if len(args) > 2:
            acts = [a for a in args[2:] if a != "log"]
            acts = tuple(pyname(a[5:]) if a.startswith("drop:") else a for a in acts)
            self.create(
                line, args[0], "weakref.WeakMethod(%s, _cb)" % meth, extra=("CBA[id(_t)] = %r" % (acts,),)
            )
        else:
            self.create(line, args[0], "weakref.WeakMethod(%s)" % meth)

    def op_finalize(self, line, args):
        self.create(line, args[0], "weakref.finalize(%s, _fin, %r)" % (pyname(args[1]), args[0]))

    def op_call(self, line, args):
        self.guarded(
            line,
            ["_r = %s()" % pyname(args[0]), "L.append(%r + _fmt(_r))" % ("call %s " % args[0])],
            after=("_r = None",),
        )

    def op_iter(self, line, args):
        i, x = pyname(args[0]), pyname(args[1])
        self.guarded(
            line,
            [
                "if type(%s) is _WVD or type(%s) is _WKD or type(%s) is dict:" % (x, x, x),
                "    _t = iter(%s.items())" % x,
                "    ITK[id(_t)] = 1",
                "else:",
                "    _t = iter(%s)" % x,
                "    ITK[id(_t)] = 0",
                "_lab(_t, %r)" % args[0],
                "%s = _t" % i,
                "_opn(%r)" % args[0],
            ],
            after=("_t = None",),
        )

    def op_next(self, line, args):
        i = pyname(args[0])
        pre = "next %s " % args[0]
        self.guarded(
            line,
            [
                "_i = ITK.get(id(%s))" % i,
                "_n = next(%s, _END)" % i,
                "if _n is _END:",
                "    L.append(%r)" % (pre + "end"),
                "elif _i == 1:",
                "    L.append(%r + _fpair(_n))" % pre,
                "else:",
                "    L.append(%r + _fmt(_n))" % pre,
            ],
            after=("_n = None", "_i = 0"),
        )

    def op_close(self, line, args):
        self.guarded(line, ["del %s" % pyname(args[0]), "_cls(%r)" % args[0]])

    def op_loop(self, line, args):
        n, c = int(args[0]), args[1]
        stmts = [
            "_i = 0",
            "while _i < %d:" % n,
            "    _o = %s()" % pyname(c),
            "    _lab(_o, '~')",
        ]
        if len(args) == 4:
            stmts.append("    %s.append(_o)" % pyname(args[3]))
        stmts.append("    _i += 1")
        after = ["_o = None", "_i = 0"]
        if len(args) == 4:
            after.append("_rf(_G.get(%r))" % pyname(args[3]))
        self.guarded(line, stmts, after=after)

    def op_collect(self, line, args):
        g = args[0] if args else "2"
        call = "gc.collect(%s)" % pyval(args[0]) if args else "gc.collect()"
        self.guarded(
            line,
            ["_D = 1", "_n = %s" % call, "_D = 0", "L.append(%r + repr(_n))" % ("collect %s -> " % g)],
            after=("_D = 0", "_n = None"),
        )

    def op_enable(self, line, args):
        self.guarded(line, ["gc.enable()"])

    def op_disable(self, line, args):
        self.guarded(line, ["gc.disable()"])

    def op_freeze(self, line, args):
        self.guarded(line, ["gc.freeze()"])

    def op_unfreeze(self, line, args):
        self.guarded(line, ["gc.unfreeze()"])

    def op_threshold(self, line, args):
        self.guarded(line, ["gc.set_threshold(%s)" % ", ".join(pyval(a) for a in args)])

    def op_debug(self, line, args):
        self.guarded(line, ["gc.set_debug(%s)" % pyval(args[0])])

    def op_gccb(self, line, args):
        if args[0] == "add":
            self.guarded(line, ["gc.callbacks.append(_gk%d)" % line])
        else:
            self.guarded(line, ["while len(gc.callbacks) > 1:", "    gc.callbacks.pop()"])

    def op_cleargarbage(self, line, args):
        self.guarded(line, ["gc.garbage.clear()"])

    def op_show(self, line, args):
        q, qa = args[0], args[1:]
        head = " ".join(["show"] + args)[5:] + " "  # the query's name and arguments, as written
        x = pyname(qa[0]) if qa and is_name(qa[0]) else None
        if q == "count":
            stmts = ["_r = gc.get_count()", "L.append('count ' + repr(_r[0]) + ' ' + repr(_r[1]) + ' ' + repr(_r[2]))"]
        elif q == "threshold":
            stmts = [
                "_r = gc.get_threshold()",
                "L.append('threshold ' + repr(_r[0]) + ' ' + repr(_r[1]) + ' ' + repr(_r[2]))",
            ]
        elif q == "enabled":
            stmts = ["L.append('enabled ' + repr(_q))"]
        elif q == "stats":
            stmts = ["_r = gc.get_stats()", "L.append(_fst(_r))"]
        elif q == "freeze":
            stmts = ["L.append('freeze ' + repr(gc.get_freeze_count()))"]
        elif q == "tracked":
            stmts = ["L.append(%r + repr(gc.is_tracked(%s)))" % (head, x)]
        elif q == "finalized":
            stmts = ["L.append(%r + repr(gc.is_finalized(%s)))" % (head, x)]
        elif q == "referents":
            stmts = ["_r = gc.get_referents(%s)" % x, "L.append(%r + _fl(_r))" % head]
        elif q == "objects":
            stmts = ["_r = gc.get_objects(%s)" % pyval(qa[0]), "L.append(%r + _flab(_r))" % head]
        elif q == "garbage":
            stmts = ["L.append('garbage ' + _fl(gc.garbage))"]
        elif q == "refcount":
            stmts = ["L.append(%r + repr(sys.getrefcount(%s)))" % (head, x)]
        elif q == "deref":
            stmts = ["_r = %s()" % x, "L.append(%r + _fmt(_r))" % head]
        elif q == "wrcount":
            stmts = ["L.append(%r + repr(weakref.getweakrefcount(%s)))" % (head, x)]
        elif q == "wrlist":
            stmts = ["_r = weakref.getweakrefs(%s)" % x, "L.append(%r + _fl(_r))" % head]
        elif q == "len":
            stmts = ["L.append(%r + repr(len(%s)))" % (head, x)]
        elif q == "get":
            stmts = ["_r = %s.get(%s)" % (x, pyval(qa[1])), "L.append(%r + _fmt(_r))" % head]
        elif q == "has":
            stmts = ["L.append(%r + repr(%s in %s))" % (head, pyval(qa[1]), x)]
        elif q == "items":
            stmts = [
                "if type(%s) is _WVD or type(%s) is _WKD or type(%s) is dict:" % (x, x, x),
                "    _r = list(%s.items())" % x,
                "    L.append(%r + _fl(_r, _fpair))" % head,
                "elif type(%s) is _WS:" % x,
                "    _r = list(%s)" % x,
                "    _r.sort(key=_fmt)",
                "    L.append(%r + _fl(_r))" % head,
                "else:",
                "    _r = list(%s)" % x,
                "    L.append(%r + _fl(_r))" % head,
            ]
        elif q == "proxy":
            stmts = ["_r = %s.%s" % (x, qa[1]), "L.append(%r + _fmt(_r))" % head]
        else:
            raise AssertionError(q)
        self.emit("_q = gc.isenabled()")
        self.emit("gc.disable()")
        self.guarded(line, stmts, after=("_r = None", "if _q:", "    gc.enable()"))

    # -- all --------------------------------------------------------------------------------

    def source(self):
        self.out.append(PRELUDE)
        self.declarations()
        self.baseline()
        self.out.append("# ---- body")
        self.body()
        self.out.append("# ---- end")
        self.emit("_close_all()")
        self.emit("_alive()")
        return "\n".join(self.out) + "\n"


def translate(scn):
    return Translator(scn).source()


# ---------------------------------------------------------------------------------------------
# Running


def read_text(path):
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as f:
        return f.read()


def run_one(text):
    try:
        scn = parse(text)
    except ParseError as e:
        sys.stderr.write("parse-error %d: %s\n" % (e.line, e.message))
        sys.stderr.flush()
        return 2
    code = compile(translate(scn), "<scenario>", "exec")
    del scn
    g = {"__builtins__": __builtins__}
    exec(code, g)
    sys.stdout.write("\n".join(g["L"]) + "\n")
    sys.stdout.flush()
    return 0


def run_batch():
    import json
    import subprocess

    texts = json.load(sys.stdin)
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        sys.stderr.write("--batch reads a JSON list of scenario texts\n")
        return 2
    logs = []
    for text in texts:
        p = subprocess.run(
            [sys.executable, "-I", "-S", __file__, "-"],
            input=text,
            capture_output=True,
            text=True,
        )
        if p.returncode == 0:
            logs.append(p.stdout)
        else:
            err = p.stderr.strip() or "the runner exited with %d" % p.returncode
            if not err.startswith("parse-error"):
                err = "runner-error: " + err
            logs.append(err + "\n")
    json.dump(logs, sys.stdout)
    sys.stdout.write("\n")
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--batch":
        return run_batch()
    if len(argv) != 2 or argv[1].startswith("--"):
        sys.stderr.write("usage: runner.py SCENARIO_FILE | - | --batch\n")
        return 2
    return run_one(read_text(argv[1]))


if __name__ == "__main__":
    rc = main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    if rc == 0:
        # Skip the interpreter's teardown: it would run the scenario's finalizers again.
        import os

        os._exit(0)
    sys.exit(rc)
