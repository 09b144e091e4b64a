"""Tip deflection of a cantilever beam under a point load: δ = F·L³ / (3·E·I).

Run:
    jaccli sensitivity samples/beam.py --at F=1000,L=2,E=2e11,I=8e-6
    jaccli sensitivity samples/beam.py --at F=1000,L=2,E=2e11,I=8e-6 --sigma F=100,L=0.01,E=1e10,I=4e-7
    jaccli sensitivity samples/beam.py --at F=1000,L=2,E=2e11,I=8e-6 --rel-dx 0.1

A load F (N) at the tip of a beam of length L (m), Young's modulus E (Pa) and second moment of
area I (m⁴). The deflection is 1/600 m ≈ 1.67 mm. Its elasticities are the exponents: F 1, L 3,
E −1, I −1 (a beam 1% longer bends 3% more), so L ranks first. With 10% uncertainty in the load,
5% in E and I and 0.5% in L, the load has 66% of the variance. Moving every input up by 10%
bends the beam 21% more where the linear prediction says 20%; L alone, 10% longer, 33.1% more.
"""


def f(F, L, E, I):  # noqa: E741  (the engineer's names)
    return F * L**3 / (3 * E * I)
