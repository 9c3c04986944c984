#!/usr/bin/python3
"""Self-test of tools/relpos_reference.py and tools/torch_candidate.py against
SPEC.md, with no C++ involved: the consequences of Boltz's cyclic wrap on
hand-computed bins, the one-hot and lookup forms within the SPEC's bounds
(fp32, bf16, bf16-autocast), the weight gradient within Higham's bound, every
mutant caught on a crafted input, and the candidate speaking the protocol.

usage: torch_reference_selftest.py RELPOS_BINARY SOURCE_DIR
       (RELPOS_BINARY is not used; exit 77 = skipped: torch/h5py missing)
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading

from cli_checks import check, require, summary

h5py, np, torch = require(["h5py", "numpy", "torch"], "python3-torch python3-h5py")

SOURCE = sys.argv[2]
CANDIDATE = os.path.join(SOURCE, "tools", "torch_candidate.py")
sys.path.insert(0, os.path.join(SOURCE, "tools"))
import relpos_reference as reference  # noqa: E402  (from SOURCE/tools)

U = 2.0 ** -24
R, S = 32, 2  # the default r_max and s_max


def build(chains):
    """(ids, cyclic_period) from chains [(entity, sym, residue indices one per token, period)], one
    asym_id per chain, token_index a global counter."""
    ids, periods = {field: [] for field in reference.FIELDS}, []
    for asym, (entity, sym, residues, period) in enumerate(chains):
        for residue in residues:
            for field, value in zip(reference.FIELDS, (asym, residue, entity, sym, len(periods))):
                ids[field].append(value)
            periods.append(period)
    return ({field: torch.tensor(values, dtype=torch.int64) for field, values in ids.items()},
            torch.tensor(periods, dtype=torch.int64))


def stack(*layouts):
    """One [B, N] batch from layouts of equal N."""
    return ({field: torch.stack([ids[field] for ids, _ in layouts]) for field in reference.FIELDS},
            torch.stack([period for _, period in layouts]))


def complex_layout(seed, cyclic):
    """A small complex as featurisers build it: a homodimer with a gap and a per-atom residue, a
    ligand (atom tokens sharing one residue), an ion and a peptide, cyclic iff `cyclic` (so the
    same seed gives the same N either way)."""
    rng = random.Random(seed)
    length = rng.randint(6, 14)
    residues = list(range(1, length + 1)) + [length + 1] * 3 + list(range(length + 9, length + 12))
    chains = [(0, 0, residues, 0), (0, 1, residues, 0), (1, 0, [1] * rng.randint(2, 6), 0), (2, 0, [1], 0)]
    period = rng.choice([6, 7, 8])
    chains.append((3, 0, list(range(1, period + 1)), period if cyclic else 0))
    return build(chains)


def trunc_normal_weight(c_z, r_max=R, s_max=S, seed=5):
    width = reference.feature_width(r_max, s_max)
    std = (1.0 / width) ** 0.5 / 0.87962566103423978
    torch.manual_seed(seed)
    return torch.nn.init.trunc_normal_(torch.empty(c_z, width), std=std, a=-2 * std, b=2 * std)


def wide_range_weight(c_z, seed=6):
    """Values across 40 binades, so that the four terms often nearly cancel."""
    generator = torch.Generator().manual_seed(seed)
    width = reference.feature_width(R, S)
    scale = torch.exp2(torch.randint(-20, 21, (c_z, width), generator=generator).float())
    return torch.randn(c_z, width, generator=generator) * scale


def d_res(ids, period, cyclic="boltz", mutant=None):
    return reference.bins(ids, R, S, "af3", cyclic, period if cyclic == "boltz" else None, mutant)[0]


def check_part1_bins():
    """SPEC part 1's bins, offsets row minus column, on a layout worked out by hand, for both
    chain terms; extreme ids do not overflow."""
    # chain 0: residues 1, 5 (entity 0, sym 0); chain 1: its homomer copy (sym 1); chain 2: a
    # two-atom ligand (entity 1, both tokens residue 7).
    ids, _ = build([(0, 0, [1, 5], 0), (0, 1, [1, 5], 0), (1, 0, [7, 7], 0)])
    for variant, expected_chain in (("af3", [[2, 2, 1, 1, 5, 5], [2, 2, 1, 1, 5, 5], [3, 3, 2, 2, 5, 5],
                                              [3, 3, 2, 2, 5, 5], [5, 5, 5, 5, 2, 2], [5, 5, 5, 5, 2, 2]]),
                                    ("paper", [[5, 5, 1, 1, 2, 2], [5, 5, 1, 1, 2, 2], [3, 3, 5, 5, 3, 3],
                                               [3, 3, 5, 5, 3, 3], [2, 2, 1, 1, 5, 5], [2, 2, 1, 1, 5, 5]])):
        d_res_, d_tok, d_chain, same_entity = reference.bins(ids, R, S, variant)
        check(d_chain.tolist() == expected_chain, f"{variant} d_chain: {d_chain.tolist()}")
    x = 2 * R + 1
    check(d_res_.tolist() == [[32, 28, x, x, x, x], [36, 32, x, x, x, x], [x, x, 32, 28, x, x],
                              [x, x, 36, 32, x, x], [x, x, x, x, 32, 32], [x, x, x, x, 32, 32]],
          f"d_res: {d_res_.tolist()}")
    check(d_tok.tolist() == [[32, x, x, x, x, x], [x, 32, x, x, x, x], [x, x, 32, x, x, x],
                             [x, x, x, 32, x, x], [x, x, x, x, 32, 31], [x, x, x, x, 33, 32]],
          f"d_tok: {d_tok.tolist()}")
    check(same_entity.tolist() == [[1] * 4 + [0] * 2] * 4 + [[0] * 4 + [1] * 2] * 2, "same_entity")
    huge = build([(0, 0, [2 ** 62, -(2 ** 62) + 1], 0)])[0]
    check(d_res(huge, None, "none").tolist() == [[R, 2 * R], [0, R]], "int64 offsets of 2^63 - 1 must not overflow")
    extreme = {field: values.int() for field, values in build([(0, 0, [2 ** 31 - 1, -(2 ** 31)], 0)])[0].items()}
    check(d_res(extreme, None, "none").tolist() == [[R, 2 * R], [0, R]], "int32 extremes must not overflow")


def check_cyclic_wrap():
    """SPEC part 2's consequences of the Boltz wrap, on bins computed by hand."""
    check(torch.get_default_dtype() == torch.float32, "torch's default dtype must be float32")
    check((torch.tensor([3]) / torch.tensor([2])).dtype == torch.float32, "int64 / int64 must give float32")

    # Even period 8 numbered 1..8: o = P/2 stays P/2, o = -P/2 stays -P/2 (half to even: q = 0).
    ids, period = build([(0, 0, list(range(1, 9)), 8)])
    bins = d_res(ids, period)
    check(int(bins[4, 0]) == R + 4 and int(bins[0, 4]) == R - 4, f"o = +-P/2 must stay: {bins[4, 0]}, {bins[0, 4]}")
    check(int(bins[7, 0]) == R - 1 and int(bins[0, 7]) == R + 1, f"o = 7 on period 8 must become -1: {bins[7, 0]}")
    # o = 3P/2 = 12 becomes -P/2 (q = 2), o = -3P/2 becomes +P/2 (q = -2).
    ids, period = build([(0, 0, [1, 13], 8)])
    bins = d_res(ids, period)
    check(int(bins[1, 0]) == R - 4 and int(bins[0, 1]) == R + 4, f"o = +-3P/2 must become -+P/2: {bins.tolist()}")
    # Odd period 7: no ties; o = 4 -> -3, o = 6 -> -1, o = 3 stays.
    ids, period = build([(0, 0, list(range(1, 8)), 7)])
    bins = d_res(ids, period)
    check([int(bins[i, 0]) for i in (3, 4, 6)] == [R + 3, R - 3, R - 1], f"period 7 wrap: {bins[:, 0].tolist()}")

    # A linear chain beside a cyclic one folds with period 10000: 4999 stays (clipped to 2r),
    # 5000 stays (tie, q = 0), 5001 -> -4999, 9990 -> -10, 10001 -> 1, 15000 -> -5000 (q = 2).
    linear = [0, 4999, 5000, 5001, 9990, 10001, 15000]
    ids, period = build([(0, 0, linear, 0), (1, 0, list(range(1, 9)), 8)])
    bins = d_res(ids, period)
    check([int(bins[i, 0]) for i in range(1, 7)] == [2 * R, 2 * R, 0, R - 10, R + 1, 0],
          f"non-cyclic offsets beside a cyclic chain fold with period 10000: {bins[1:7, 0].tolist()}")
    check(int(bins[0, 5]) == R - 1 and int(bins[6, 5]) == 2 * R,
          f"-10001 -> -1 and 4999 stays 4999 (clipped): {bins[0, 5]}, {bins[6, 5]}")
    alone = d_res(*build([(0, 0, linear, 0)]))
    check(int(alone[5, 0]) == 2 * R and int(alone[4, 0]) == 2 * R, "with no cyclic token nothing is wrapped")
    check(torch.equal(d_res(*build([(0, 0, linear, 0)]), cyclic="none"), alone),
          "cyclic boltz without a cyclic token equals cyclic none")
    # Batched: a cyclic complex in element 0 makes element 1's linear chain fold.
    batch = stack(build([(0, 0, list(range(1, 8)), 7)]), build([(0, 0, linear, 0)]))
    check(int(d_res(*batch)[1, 5, 0]) == R + 1, "a cyclic batch element wraps the linear element's offsets")

    # The period is the COLUMN token's: residues 1 and 9 of one chain with periods 8 and 0.
    ids, period = build([(0, 0, [1, 9], 8)])
    period[1] = 0
    bins = d_res(ids, period)
    check(int(bins[1, 0]) == R and int(bins[0, 1]) == R - 8, f"period of the column token: {bins.tolist()}")

    # |o| > 2^24: fl32(o) is rounded first. 2^24 + 1 -> 2^24 = 2^21 * 8 wraps to 0 (exactly: 1);
    # 16780001 -> fl32 16780000 = 1678 * 10000 wraps to 0 (exactly: 1).
    ids, period = build([(0, 0, [0, 2 ** 24 + 1], 8)])
    bins = d_res(ids, period)
    check(int(bins[1, 0]) == R and int(bins[0, 1]) == R, f"o = +-(2^24 + 1) on period 8: {bins.tolist()}")
    ids, period = build([(0, 0, [0, 16780001], 0), (1, 0, [1, 2], 2)])
    check(int(d_res(ids, period)[1, 0]) == R, "o = 16780001 with period 10000 wraps to 0 in float32")

    # Only d_res changes; d_tok and d_chain are part 1's.
    ids, period = complex_layout(1, cyclic=True)
    wrapped = reference.bins(ids, R, S, "af3", "boltz", period)
    plain = reference.bins(ids, R, S, "af3", "none", None)
    check(all(torch.equal(a, b) for a, b in zip(wrapped[1:], plain[1:])), "the wrap changes d_res only")
    check(not torch.equal(wrapped[0], plain[0]), "the wrap changes d_res of a cyclic peptide")

    torch.set_default_dtype(torch.float64)
    try:
        reference.bins(ids, R, S, "af3", "boltz", period)
        check(False, "a float64 default dtype must be refused (Boltz's wrap divides in float32)")
    except RuntimeError:
        pass
    finally:
        torch.set_default_dtype(torch.float32)


def exact_terms(ids, weight, cyclic, period, variant="af3", rounds_weights=False):
    """The four terms of every pair in float64 [..., N, N, 4, c_z] (from bf16(W) if rounds_weights)."""
    d_res_, d_tok, d_chain, same_entity = reference.bins(ids, R, S, variant, cyclic, period)
    columns = (weight.bfloat16().float() if rounds_weights else weight).double().t()
    return torch.stack([columns[d_res_], columns[2 * R + 2 + d_tok], columns[4 * R + 4] * same_entity[..., None],
                        columns[4 * R + 5 + d_chain]], dim=-2)


def round_bf16(values):
    """float64 -> the nearest bf16 value (ties to even), as float64; exact, no detour via float32."""
    mantissa, exponent = np.frexp(values)
    return np.ldexp(np.rint(np.ldexp(mantissa, 8)), exponent - 8)


def within_rounded_bound(got, terms, rounding):
    """SPEC part 2's policy: R(S - b) <= got <= R(S + b), b = 6 u sum|t|; (ok, worst element)."""
    exact = terms.sum(-2).numpy()
    bound = 6 * U * terms.abs().sum(-2).numpy()
    got = got.double().numpy()
    low, high = rounding(exact - bound), rounding(exact + bound)
    bad = ~((low <= got) & (got <= high))
    where = np.unravel_index(np.argmax(bad), bad.shape) if bad.any() else None
    return not bad.any(), where


def check_forms_agree():
    """onehot (PyTorch's GEMM order) and lookup (ordered sum) within the SPEC's bounds, per regime."""
    cases = [("complex", complex_layout(2, cyclic=False), "none"),
             ("cyclic complex", complex_layout(3, cyclic=True), "boltz"),
             ("batch", stack(complex_layout(4, cyclic=True), complex_layout(4, cyclic=False)), "boltz")]
    for weight_name, weight in (("trunc-normal", trunc_normal_weight(128)), ("wide-range", wide_range_weight(64))):
        for name, (ids, period), cyclic in cases:
            period = period if cyclic == "boltz" else None
            where = f"{name}, {weight_name} weights"
            args = (ids, weight, R, S, "af3", cyclic, period)
            onehot = reference.forward(*args, precision="fp32", form="onehot")
            lookup = reference.forward(*args, precision="fp32", form="lookup")
            terms = exact_terms(ids, weight, cyclic, period)
            bound = 6 * U * terms.abs().sum(-2)
            check(bool(((onehot.double() - lookup.double()).abs() <= bound).all()),
                  f"fp32 onehot vs lookup beyond 6 u sum|t| ({where})")
            ordered = terms.float().numpy()
            sequential = ((ordered[..., 0, :] + ordered[..., 1, :]) + ordered[..., 2, :]) + ordered[..., 3, :]
            check(np.array_equal(lookup.numpy(), sequential), f"fp32 lookup is not the ordered float32 sum ({where})")
            for precision, rounds_weights in (("bf16", False), ("bf16-autocast", True)):
                terms = exact_terms(ids, weight, cyclic, period, rounds_weights=rounds_weights)
                for form in reference.FORMS:
                    got = reference.forward(*args, precision=precision, form=form)
                    check(torch.equal(got, got.bfloat16().float()), f"{precision} {form}: values not bf16 ({where})")
                    ok, worst = within_rounded_bound(got, terms, round_bf16)
                    check(ok, f"{precision} {form} outside R(S-b)..R(S+b) at {worst} ({where})")
    # The two bf16 regimes are different computations (SPEC: ~40% of elements differ).
    ids, period = complex_layout(2, cyclic=False)
    weight = trunc_normal_weight(128)
    plain = reference.forward(ids, weight, R, S, precision="bf16", form="lookup")
    autocast = reference.forward(ids, weight, R, S, precision="bf16-autocast", form="lookup")
    fraction = float((plain != autocast).float().mean())
    check(0.2 < fraction < 0.6, f"bf16 and bf16-autocast should differ in about 40% of elements, not {fraction:.2f}")


def gamma(m):
    return m * U / (1 - m * U)


def check_gradients():
    """lookup's and onehot's autograd weight gradient within Higham's bound of the exact sum."""
    cases = [("complex", complex_layout(7, cyclic=False), "none"),
             ("cyclic batch", stack(complex_layout(8, cyclic=True), complex_layout(8, cyclic=False)), "boltz")]
    weight = trunc_normal_weight(32)
    for name, (ids, period), cyclic in cases:
        period = period if cyclic == "boltz" else None
        bins = reference.bins(ids, R, S, "af3", cyclic, period)
        features = reference.onehot_features(bins, R, S).double().reshape(-1, reference.feature_width(R, S))
        grad_output = torch.randn(*bins[0].shape, 32, generator=torch.Generator().manual_seed(9))
        flat = grad_output.double().reshape(-1, 32)
        exact = (features.t() @ flat).t()
        magnitude = (features.t() @ flat.abs()).t()
        counts = features.sum(0).expand_as(exact)
        bound = gamma((counts - 1).clamp(min=0)) * magnitude
        for form in reference.FORMS:
            got = reference.weight_gradient(ids, weight, grad_output, R, S, "af3", cyclic, period, form=form)
            check(got.dtype == torch.float32 and got.shape == weight.shape, f"{name} {form}: dW float32 [c_z, F]")
            check(bool(((got.double() - exact).abs() <= bound).all()),
                  f"{name} {form}: weight gradient beyond gamma(n-1) sum|terms|")


def mutant_cases():
    """mutant -> (ids, cyclic_period or None, precisions to try, what differs: "output" or "gradient")."""
    cyclic_and_linear = build([(0, 0, list(range(1, 9)), 8), (1, 0, [0, 10001], 0)])
    column_period = build([(0, 0, [1, 9], 8)])
    column_period[1][1] = 0
    homodimer = build([(0, 0, [1, 2, 3], 0), (0, 1, [1, 2, 3], 0)])
    complex_ = complex_layout(10, cyclic=False)
    monomer_65, monomer_66 = (build([(0, 0, list(range(n)), 0)]) for n in (65, 66))
    return {
        "column-minus-row": (*homodimer, ["fp32"], "output"),
        "row-period": (*column_period, ["fp32"], "output"),
        "half-away": (*build([(0, 0, list(range(1, 9)), 8)]), ["fp32"], "output"),
        "no-fallback": (*cyclic_and_linear, ["fp32"], "output"),
        "exact-wrap": (*build([(0, 0, [0, 2 ** 24 + 1], 8)]), ["fp32"], "output"),
        "wrap-after-clip": (*cyclic_and_linear, ["fp32"], "output"),
        "paper-chain": (*homodimer, ["fp32"], "output"),
        "autocast-no-round": (*complex_, ["bf16-autocast"], "output"),
        "bf16-rounds-weights": (*complex_, ["bf16"], "output"),
        "bf16-terms": (*complex_, ["bf16", "bf16-autocast"], "output"),
        "repeat-row-64": (*monomer_66, ["fp32"], "output"),  # at N = 65 row 64 only copies itself
        "repeat-tile-row": (*build([(0, 0, list(range(258)), 0)]), ["fp32"], "output"),
        "copy-last-column": (*monomer_65, ["fp32"], "output"),
        "grad-drop-entity": (*complex_, ["fp32"], "gradient"),
        "grad-mirror-chain": (*complex_, ["fp32"], "gradient"),
        "grad-skip-last-pair": (*complex_, ["fp32"], "gradient"),
    }


def check_mutants():
    """Every mutant differs from the correct forward (or gradient) on its crafted input; the
    size-triggered ones are dormant just below their trigger, and "lookup" ones refuse onehot."""
    cases = mutant_cases()
    check(set(cases) == set(reference.MUTANTS), f"mutants without a case: {set(reference.MUTANTS) - set(cases)}")
    weight = trunc_normal_weight(16)
    for mutant, (ids, period, precisions, differs) in cases.items():
        cyclic = "boltz" if bool((period > 0).any()) else "none"
        period = period if cyclic == "boltz" else None
        args = (ids, weight, R, S, "af3", cyclic, period)
        for precision in precisions:
            if differs == "output":
                correct = reference.forward(*args, precision=precision, form="lookup")
                got = reference.forward(*args, precision=precision, form="lookup", mutant=mutant)
                check(correct.shape == got.shape and not torch.equal(correct, got),
                      f"mutant {mutant} ({precision}) computes the correct output")
            else:
                grad_output = torch.randn(*ids["asym_id"].shape, ids["asym_id"].shape[-1], 16)
                correct = reference.weight_gradient(*args[:2], grad_output, *args[2:], form="lookup")
                got = reference.weight_gradient(*args[:2], grad_output, *args[2:], form="lookup", mutant=mutant)
                check(not torch.equal(correct, got), f"mutant {mutant} computes the correct gradient")
                check(torch.equal(reference.forward(*args, form="lookup"), reference.forward(*args, form="lookup",
                                                                                            mutant=mutant)),
                      f"gradient mutant {mutant} changes the forward")
    for mutant, n in (("repeat-row-64", 65), ("repeat-tile-row", 257), ("copy-last-column", 63),
                      ("copy-last-column", 72)):
        ids, _ = build([(0, 0, list(range(n)), 0)])
        check(torch.equal(reference.forward(ids, weight, R, S, form="lookup"),
                          reference.forward(ids, weight, R, S, form="lookup", mutant=mutant)),
              f"mutant {mutant} must be dormant at N = {n}")
    for mutant, (kind, _) in reference.MUTANTS.items():
        if kind == "lookup":
            try:
                reference.forward(*build([(0, 0, [1], 0)]), weight, R, S, mutant=mutant)
                check(False, f"mutant {mutant} must refuse form onehot")
            except ValueError:
                pass


def write_case(path, ids, weight, r_max, s_max, variant="af3", cyclic="none", period=None, precision="fp32",
               grad_output=None, as_bytes=True):
    """An input file as relpos writes it for --candidate-cmd (strings as bytes or as str)."""
    string = np.bytes_ if as_bytes else str
    with h5py.File(path, "w") as file:
        version2 = cyclic != "none" or precision == "bf16-autocast" or grad_output is not None
        file.attrs["format"] = string("relpos-fixture")
        file.attrs["format_version"] = 2 if version2 else 1
        file.attrs["variant"] = string(variant)
        if version2:
            file.attrs["cyclic"] = string(cyclic)
        for name, value in (("r_max", r_max), ("s_max", s_max), ("c_z", weight.shape[0])):
            file.attrs[name] = np.int64(value)
        file.attrs["precision"] = string(precision)
        file.attrs["policy"] = string("bound:6" if precision == "fp32" else "rbound:6")
        for field, values in ids.items():
            file[f"inputs/{field}"] = values.numpy()
        if period is not None:
            file["inputs/cyclic_period"] = period.numpy()
        if grad_output is not None:
            file["inputs/grad_output"] = grad_output.numpy()
        file["weights/linear_no_bias"] = weight.numpy()


class Candidate:
    """torch_candidate.py driven line by line, as relpos drives it (a watchdog kills a hung one)."""

    def __init__(self, *flags):
        self.process = subprocess.Popen([sys.executable, CANDIDATE, *flags], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.watchdog = threading.Timer(300, self.process.kill)
        self.watchdog.start()

    def ask(self, input_path, output_path):
        self.process.stdin.write(f"{input_path} {output_path}\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().rstrip("\n")

    def close(self):
        self.process.stdin.close()
        code = self.process.wait()
        self.watchdog.cancel()
        return code, self.process.stderr.read()


def read_output(path, name="output"):
    with h5py.File(path, "r") as file:
        return torch.from_numpy(file[f"expected/{name}"][()])


def check_candidate(work):
    """The candidate answers two cases per run in the protocol; --strict-af3 refuses what is out of scope."""
    with open(CANDIDATE, encoding="utf-8") as stream:
        check(stream.readline().rstrip() == "#!/usr/bin/python3", "torch_candidate.py starts with #!/usr/bin/python3")
    check(os.access(CANDIDATE, os.X_OK), "torch_candidate.py is executable")

    af3_ids, _ = complex_layout(11, cyclic=False)
    af3_weight = trunc_normal_weight(128)
    af3_grad = torch.randn(*af3_ids["asym_id"].shape, af3_ids["asym_id"].shape[0], 128,
                           generator=torch.Generator().manual_seed(7))
    af3_case = os.path.join(work, "af3.h5")
    write_case(af3_case, af3_ids, af3_weight, R, S, grad_output=af3_grad)
    small = stack(complex_layout(12, cyclic=True), complex_layout(12, cyclic=False))
    small_ids = {field: values.int() for field, values in small[0].items()}  # int32 ids, as AF3 holds them
    small_weight = trunc_normal_weight(16, r_max=4, s_max=1)
    small_case = os.path.join(work, "small.h5")
    write_case(small_case, small_ids, small_weight, 4, 1, variant="paper", cyclic="boltz", period=small[1],
               precision="bf16-autocast", as_bytes=False)
    af3_args = (af3_ids, af3_weight, R, S)
    small_args = (small_ids, small_weight, 4, 1, "paper", "boltz", small[1])
    correct_af3 = reference.forward(*af3_args)
    correct_small = reference.forward(*small_args, precision="bf16-autocast")

    # flags, the form and mutant they select, the answers' beginnings
    runs = [((), "onehot", None, "ok", "ok"), (("--strict-af3",), "onehot", None, "ok", "error: outside scope"),
            (("--form", "lookup"), "lookup", None, "ok", "ok"),
            (("--form", "lookup", "--mutant", "bf16-terms"), "lookup", "bf16-terms", "ok", "ok"),
            (("--broken",), "onehot", "column-minus-row", "ok", "ok")]
    for flags, form, mutant, first, second in runs:
        name = " ".join(flags) or "(no flags)"
        candidate = Candidate(*flags)
        outputs = [os.path.join(work, f"{index}.out.h5") for index in range(2)]
        for output in outputs:
            if os.path.exists(output):
                os.unlink(output)
        answers = [candidate.ask(af3_case, outputs[0]), candidate.ask(small_case, outputs[1])]
        code, stderr = candidate.close()
        check(code == 0, f"{name}: exit status {code} at end of input: {stderr}")
        check(answers[0] == first and answers[1].startswith(second), f"{name}: answers {answers}")
        if answers[0] == "ok":
            expected = reference.forward(*af3_args, form=form, mutant=mutant)
            expected_grad = reference.weight_gradient(*af3_args[:2], af3_grad, *af3_args[2:], form=form, mutant=mutant)
            check(torch.equal(read_output(outputs[0]), expected),
                  f"{name}: the af3 case's output is not the reference's")
            check(torch.equal(read_output(outputs[0], "grad_weight"), expected_grad),
                  f"{name}: the af3 case's grad_weight is not the reference's")
            check(mutant != "column-minus-row" or not torch.equal(expected, correct_af3), "--broken is correct")
        if answers[1] == "ok":
            expected = reference.forward(*small_args, precision="bf16-autocast", form=form, mutant=mutant)
            check(torch.equal(read_output(outputs[1]), expected),
                  f"{name}: the batched cyclic bf16-autocast case's output is not the reference's")
            check(mutant != "bf16-terms" or not torch.equal(expected, correct_small), "bf16-terms is correct")

    candidate = Candidate()
    reply = candidate.ask(os.path.join(work, "absent.h5"), os.path.join(work, "never.h5"))
    candidate.close()
    check(reply.startswith("error: ") and "\n" not in reply, f"a missing input file gives one error line: {reply!r}")
    for flags, says in ((("--mutant", "nope"), "--mutant"), (("--mutant", "bf16-terms"), "--form lookup"),
                        (("--broken", "--mutant", "half-away"), "--broken"), (("--form", "gemm"), "--form")):
        result = subprocess.run([sys.executable, CANDIDATE, *flags], input="", capture_output=True, text=True)
        lines = result.stderr.strip().splitlines()
        check(result.returncode == 2 and len(lines) == 1 and says in lines[0],
              f"{' '.join(flags)}: exit 2 with one line naming {says} ({result.returncode}): {result.stderr!r}")


def main():
    work = tempfile.mkdtemp(prefix="relpos-torch-selftest-")
    try:
        check_part1_bins()
        check_cyclic_wrap()
        check_forms_agree()
        check_gradients()
        check_mutants()
        check_candidate(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary("torch reference self-test")


if __name__ == "__main__":
    sys.exit(main())
