/* The batched recursions of arima.c, written once for a vector type and
 * included once per instruction set (arima.c defines LANES_V, the vector
 * of LANES_W doubles; LANES_M, the integer vector of its width; LANES_FN,
 * which names the functions; LANES_ATTR, their target attribute; this
 * file undefines them at its end). Every
 * lane does the arithmetic of the one-vector code in its order, so the
 * width changes the speed and never a bit of the result. */

/* Rows [from, to) of css_values' lanes, every MA lag present. */
LANES_ATTR static void LANES_FN(css_rows)(const double *w, double *eb, int from, int to,
                                          const double *phic, const int *arofs, int nar,
                                          const double *thetac, const int *maofs, int nma,
                                          const double *c0, double *ssq)
{
	enum { H = CSS_LANES / LANES_W };
	LANES_V s[H], c[H], t[H];
	for (int h = 0; h < H; h++) {
		s[h] = ((const LANES_V *)ssq)[h];
		c[h] = ((const LANES_V *)c0)[h];
	}
	for (int l = from; l < to; l++) {
		for (int h = 0; h < H; h++)
			t[h] = w[l] - c[h];
		for (int a = 0; a < nar; a++) {
			const LANES_V *ph = (const LANES_V *)(phic + a * CSS_LANES);
			double x = w[l - arofs[a]];
			for (int h = 0; h < H; h++)
				t[h] -= ph[h] * x;
		}
		for (int a = nma - 1; a >= 0; a--) {
			const LANES_V *th = (const LANES_V *)(thetac + a * CSS_LANES);
			const LANES_V *e = (const LANES_V *)(eb + (l - maofs[a]) * CSS_LANES);
			for (int h = 0; h < H; h++)
				t[h] -= th[h] * e[h];
		}
		LANES_V *o = (LANES_V *)(eb + l * CSS_LANES);
		for (int h = 0; h < H; h++) {
			o[h] = t[h];
			s[h] += t[h] * t[h];
		}
	}
	for (int h = 0; h < H; h++)
		((LANES_V *)ssq)[h] = s[h];
}

/* All rows of ml_values' Kalman filters (struct ml_lanes in arima.c). */
LANES_ATTR static void LANES_FN(ml_rows)(struct ml_lanes *s)
{
	enum { L = CSS_LANES, H = CSS_LANES / LANES_W };
	int r = s->r, r1 = r + 1;
	double *P = s->P;
	LANES_V *Pp = (LANES_V *)s->P, *Mp = (LANES_V *)s->M, *ap = (LANES_V *)s->a;
	LANES_V *anp = (LANES_V *)s->an, *Rp = (LANES_V *)s->Rv, *php = (LANES_V *)s->phi;
	LANES_V mup[H], ssqp[H];
	memcpy(mup, s->mu, sizeof mup);
	memcpy(ssqp, s->ssq, sizeof ssqp);
	for (int l = 0; l < s->nw; l++) {
		double wl = s->w[l];
		LANES_V vp[H], a0[H];
		for (int h = 0; h < H; h++)
			a0[h] = ap[h];
		for (int i = 0; i < r; i++)
			for (int h = 0; h < H; h++)
				anp[i * H + h] = ap[(i + 1) * H + h] + php[i * H + h] * a0[h];
		for (int h = 0; h < H; h++)
			vp[h] = wl - mup[h] - anp[h];
		if (s->nfast == L) {
			for (int h = 0; h < H; h++)
				ssqp[h] += vp[h] * vp[h];
			for (int i = 0; i < r; i++)
				for (int h = 0; h < H; h++)
					ap[i * H + h] = anp[i * H + h] + Rp[i * H + h] * vp[h];
			continue;
		}
		if (l > 0) {
			/* M = T P; P = M T' + R R' */
			for (int i = 0; i < r; i++)
				for (int j = 0; j < r; j++)
					for (int h = 0; h < H; h++)
						Mp[(i * r1 + j) * H + h] =
						        php[i * H + h] * Pp[j * H + h] +
						        Pp[((i + 1) * r + j) * H + h];
			for (int i = 0; i < r; i++)
				for (int j = i; j < r; j++)
					for (int h = 0; h < H; h++) {
						LANES_V t = Mp[(i * r1) * H + h] * php[j * H + h] +
						            Mp[(i * r1 + j + 1) * H + h] +
						            Rp[i * H + h] * Rp[j * H + h];
						Pp[(i * r + j) * H + h] = Pp[(j * r + i) * H + h] =
						        t;
					}
		}
		double F[L], v[L], ssq[L];
		memcpy(v, vp, sizeof v);
		memcpy(ssq, ssqp, sizeof ssq);
		for (int z = 0; z < L; z++) {
			F[z] = P[z];
			if (s->fast[z]) {
				ssq[z] += v[z] * v[z];
				continue;
			}
			if (!(F[z] > 0) || !isfinite(F[z])) {
				s->bad[z] = s->fast[z] = 1;
				s->nfast++;
				continue;
			}
			ssq[z] += v[z] * v[z] / F[z];
			s->sumlog[z] += log(F[z]);
		}
		memcpy(ssqp, ssq, sizeof ssqp);
		/* a = a_n + K v: the gain P e1 / F, or R for a lane in its steady state */
		LANES_V Fp[H];
		LANES_M fm[H];
		memcpy(Fp, F, sizeof Fp);
		for (int h = 0; h < H; h++)
			for (int z = 0; z < LANES_W; z++)
				fm[h][z] = s->fast[h * LANES_W + z] ? -1 : 0;
		for (int i = 0; i < r; i++)
			for (int h = 0; h < H; h++) {
				LANES_M kr = (LANES_M)(Rp[i * H + h] * vp[h]);
				LANES_M kp = (LANES_M)(Pp[i * H + h] * vp[h] / Fp[h]);
				ap[i * H + h] =
				        anp[i * H + h] + (LANES_V)((fm[h] & kr) | (~fm[h] & kp));
			}
		/* P -= P e1 e1' P / F in place: rows from the last, so that row 0
		 * and column 0, which every row reads, change last; a lane stays
		 * in the full recursion while some |P_ij| >= STEADY_TOL (NaN
		 * aside, as the one-point code's running maximum) */
		LANES_M wide[H];
		memset(wide, 0, sizeof wide);
		for (int i = r - 1; i >= 0; i--)
			for (int h = 0; h < H; h++) {
				LANES_V pi0 = Pp[i * H + h] / Fp[h];
				LANES_M wd = wide[h];
				for (int j = i; j < r; j++) {
					LANES_V t = Pp[(i * r + j) * H + h] - pi0 * Pp[j * H + h];
					Pp[(i * r + j) * H + h] = Pp[(j * r + i) * H + h] = t;
					wd |= (LANES_V)((LANES_M)t & INT64_MAX) >= STEADY_TOL;
				}
				wide[h] = wd;
			}
		for (int h = 0; h < H; h++)
			for (int z = 0; z < LANES_W; z++)
				if (!s->fast[h * LANES_W + z] && !wide[h][z]) {
					s->fast[h * LANES_W + z] = 1;
					s->nfast++;
				}
	}
	memcpy(s->ssq, ssqp, sizeof ssqp);
}

#undef LANES_V
#undef LANES_M
#undef LANES_W
#undef LANES_FN
#undef LANES_ATTR
