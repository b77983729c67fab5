"""OpInfo records for joining/splitting, rearranging (flip roll repeat narrow diagonal pad ...) and
gather/scatter ops (read by the generic tests in test_ops.py; run them with `-k shp_`).

Ops returning several tensors (split, chunk, unbind) are checked through `_joined`, which
weights each piece differently, so every piece's gradient is seen; `_piece` records take one
piece, so the others' gradients are the zeros the engine supplies. Index and mask constants are
built inside the lambdas with `_t(m, data)`.
"""

from __future__ import annotations

from typing import Any

from opinfo import OpInfo, _t

ONE = (((),), ((3,),), ((2, 3),), ((1, 3, 1),), ((0,),), ((2, 0),))


def _joined(m: Any, pieces: Any) -> Any:
    """All pieces flattened into one vector, piece k scaled by k + 1."""
    return m.cat([p.reshape(-1) * (k + 1) for k, p in enumerate(pieces)])


def _pad(m: Any) -> Any:
    return m.nn.functional.pad


def _long(m: Any, data: Any) -> Any:
    return _t(m, data, dtype=m.int64)


OPS: list[OpInfo] = [
    # --- cat and stack ---------------------------------------------------------------------------
    OpInfo(
        "shp_cat",
        lambda m, x, y: m.cat([x, y]),
        (((2, 3), (1, 3)), ((3,), (2,)), ((0, 3), (2, 3)), ((2, 0), (1, 0)), ((1,), (1,))),
    ),
    OpInfo("shp_cat_dim1", lambda m, x, y: m.cat((x, y), 1), (((2, 3), (2, 1)), ((2, 0), (2, 2)))),
    OpInfo("shp_cat_negdim", lambda m, x, y: m.cat([x, y, x], dim=-1), (((2, 1, 3), (2, 1, 2)),)),
    OpInfo("shp_cat_single", lambda m, x: m.cat([x]), (((3,),), ((2, 3),))),
    OpInfo("shp_cat_same", lambda m, x: m.cat([x, x * 2], 0), (((3,),), ((2, 3),))),
    # torch skips 1-D empty tensors: they take no part in the shapes, and get an empty gradient
    OpInfo("shp_cat_skip_empty", lambda m, x, y: m.cat([x, y]), (((2, 3), (0,)), ((0,), (3, 1)))),
    OpInfo("shp_cat_all_empty", lambda m, x, y: m.cat([x, y]), (((0,), (0,)),)),
    OpInfo(
        "shp_cat_promote",
        lambda m, x, y: m.cat([x.float(), y.double()]),
        (((2,), (3,)),),
        gradcheck=False,
    ),
    OpInfo("shp_cat_only_y", lambda m, x, y: m.cat([x, y]), (((2,), (3,)),), diff=(False, True)),
    OpInfo("shp_concat", lambda m, x, y: m.concat([x, y], dim=1), (((2, 1), (2, 2)),)),
    OpInfo("shp_concatenate", lambda m, x, y: m.concatenate([x, y], axis=0), (((1, 2), (2, 2)),)),
    OpInfo(
        "shp_stack",
        lambda m, x, y: m.stack([x, y]),
        (((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((0,), (0,))),
    ),
    OpInfo("shp_stack_dim", lambda m, x, y: m.stack((x, y), dim=-1), (((2, 3), (2, 3)), ((), ()))),
    OpInfo("shp_stack_mid", lambda m, x, y: m.stack([x, y, x], 1), (((2, 3), (2, 3)),)),
    OpInfo(
        "shp_hstack", lambda m, x, y: m.hstack([x, y]), (((3,), (2,)), ((2, 3), (2, 1)), ((), ()))
    ),
    OpInfo(
        "shp_vstack", lambda m, x, y: m.vstack([x, y]), (((3,), (3,)), ((2, 3), (1, 3)), ((), ()))
    ),
    OpInfo("shp_dstack", lambda m, x, y: m.dstack([x, y]), (((3,), (3,)), ((2, 3), (2, 3)))),
    # --- splitting -------------------------------------------------------------------------------
    OpInfo(
        "shp_split", lambda m, x: _joined(m, x.split(2)), (((5,),), ((4, 3),), ((1,),), ((0,),))
    ),
    OpInfo("shp_split_dim", lambda m, x: _joined(m, m.split(x, 1, dim=-1)), (((2, 3),),)),
    OpInfo("shp_split_sizes", lambda m, x: _joined(m, x.split([1, 0, 2], 1)), (((2, 3),),)),
    OpInfo("shp_split_piece", lambda m, x: x.split(2)[1], (((4,),), ((3, 2),))),
    OpInfo(
        "shp_chunk", lambda m, x: _joined(m, x.chunk(3)), (((6,),), ((5, 2),), ((2,),), ((0,),))
    ),
    OpInfo("shp_chunk_dim", lambda m, x: _joined(m, m.chunk(x, 2, dim=1)), (((2, 3),),)),
    OpInfo("shp_chunk_piece", lambda m, x: x.chunk(2)[0] * 3, (((4, 2),),)),
    OpInfo("shp_unbind", lambda m, x: _joined(m, x.unbind()), (((3,),), ((2, 3),), ((1, 0),))),
    OpInfo("shp_unbind_dim", lambda m, x: _joined(m, m.unbind(x, dim=-1)), (((2, 3),),)),
    OpInfo("shp_unbind_piece", lambda m, x: x.unbind(1)[2], (((2, 3),),)),
    OpInfo("shp_tensor_split", lambda m, x: _joined(m, x.tensor_split(3)), (((7,),), ((2, 2),))),
    OpInfo(
        "shp_tensor_split_idx",
        lambda m, x: _joined(m, m.tensor_split(x, [1, -1, 5], dim=1)),
        (((2, 4),),),
    ),
    # --- flip, roll, repeat ----------------------------------------------------------------------
    OpInfo("shp_flip", lambda m, x: x.flip(0), ONE),
    OpInfo("shp_flip_dims", lambda m, x: m.flip(x, [0, -1]), (((2, 3),), ((2, 1, 3),), ((0, 2),))),
    OpInfo("shp_flip_none", lambda m, x: x.flip(()), (((2, 3),),)),
    OpInfo("shp_flip_kw", lambda m, x: m.flip(x, dims=(1,)), (((2, 3),),)),
    OpInfo("shp_fliplr", lambda m, x: m.fliplr(x), (((2, 3),),)),
    OpInfo("shp_flipud", lambda m, x: x.flipud(), (((3,),), ((2, 3),))),
    OpInfo("shp_roll", lambda m, x: x.roll(1, 0), (((3,),), ((2, 3),), ((0, 2),))),
    OpInfo("shp_roll_dims", lambda m, x: m.roll(x, (1, -4), (0, 1)), (((2, 3),), ((3, 2, 2),))),
    OpInfo("shp_roll_flat", lambda m, x: m.roll(x, 2), (((),), ((5,),), ((2, 3),))),
    OpInfo("shp_roll_same_dim", lambda m, x: x.roll((1, 1), (0, 0)), (((4, 2),),)),
    OpInfo("shp_repeat", lambda m, x: x.repeat(2, 3), (((2, 3),), ((1, 2),), ((3,),), ((),))),
    OpInfo("shp_repeat_lead", lambda m, x: x.repeat(2, 1, 2), (((2, 3),), ((3,),), ((),))),
    OpInfo("shp_repeat_ones", lambda m, x: x.repeat(1, 1), (((2, 3),),)),
    OpInfo("shp_repeat_zero", lambda m, x: x.repeat(0, 2), (((2, 3),),)),
    OpInfo("shp_tile", lambda m, x: m.tile(x, (2,)), (((2, 3),), ((3,),), ((),))),
    OpInfo("shp_tile_more", lambda m, x: x.tile((2, 1, 2)), (((2, 3),),)),
    # --- views: narrow movedim unflatten broadcast_to diagonal -----------------------------------
    OpInfo("shp_narrow", lambda m, x: x.narrow(0, 1, 2), (((3,),), ((4, 2),))),
    OpInfo("shp_narrow_neg", lambda m, x: m.narrow(x, -1, -2, 1), (((2, 3),),)),
    OpInfo("shp_narrow_empty", lambda m, x: x.narrow(1, 3, 0), (((2, 3),),)),
    OpInfo("shp_narrow_tensor_start", lambda m, x: x.narrow(0, _long(m, 1), 2), (((3, 2),),)),
    OpInfo("shp_movedim", lambda m, x: x.movedim(0, -1), (((2, 3, 1),), ((2, 3),), ((),))),
    OpInfo("shp_movedim_many", lambda m, x: m.movedim(x, (0, 1), (2, 0)), (((2, 3, 4),),)),
    OpInfo("shp_moveaxis", lambda m, x: m.moveaxis(x, -1, 0), (((2, 3, 1),),)),
    OpInfo("shp_unflatten", lambda m, x: x.unflatten(1, (2, 2)), (((3, 4),), ((0, 4),))),
    OpInfo("shp_unflatten_infer", lambda m, x: m.unflatten(x, 0, (-1, 1)), (((3,),), ((2, 3),))),
    OpInfo("shp_broadcast_to", lambda m, x: x.broadcast_to((2, 3)), (((3,),), ((2, 1),), ((),))),
    OpInfo("shp_broadcast_to_fn", lambda m, x: m.broadcast_to(x, (2, -1, 3)), (((1, 3),),)),
    OpInfo("shp_diagonal", lambda m, x: x.diagonal(), (((3, 3),), ((2, 4),), ((4, 2),), ((0, 2),))),
    OpInfo("shp_diagonal_off", lambda m, x: m.diagonal(x, 1), (((3, 3),), ((2, 4),), ((2, 1),))),
    OpInfo("shp_diagonal_neg", lambda m, x: x.diagonal(-1), (((3, 3),), ((4, 2),))),
    OpInfo("shp_diagonal_dims", lambda m, x: m.diagonal(x, 0, -1, 0), (((3, 2, 3),),)),
    OpInfo("shp_diagonal_far", lambda m, x: x.diagonal(offset=5), (((3, 3),),)),
    # --- tril triu diag diag_embed ---------------------------------------------------------------
    OpInfo("shp_tril", lambda m, x: x.tril(), (((3, 3),), ((2, 4),), ((2, 3, 3),), ((0, 3),))),
    OpInfo("shp_tril_k", lambda m, x: m.tril(x, -1), (((3, 3),), ((4, 2),))),
    OpInfo("shp_triu", lambda m, x: m.triu(x), (((3, 3),), ((2, 4),), ((2, 3, 3),))),
    OpInfo("shp_triu_k", lambda m, x: x.triu(diagonal=1), (((3, 3),), ((2, 4),))),
    OpInfo("shp_diag_vec", lambda m, x: m.diag(x), (((3,),), ((1,),), ((0,),))),
    OpInfo("shp_diag_vec_k", lambda m, x: m.diag(x, 1), (((3,),),)),
    OpInfo("shp_diag_vec_negk", lambda m, x: x.diag(-2), (((2,),),)),
    OpInfo("shp_diag_mat", lambda m, x: m.diag(x), (((3, 3),), ((2, 4),))),
    OpInfo("shp_diag_mat_k", lambda m, x: m.diag(x, -1), (((3, 2),), ((3, 3),))),
    OpInfo("shp_diag_embed", lambda m, x: m.diag_embed(x), (((3,),), ((2, 3),), ((0,),))),
    OpInfo("shp_diag_embed_off", lambda m, x: m.diag_embed(x, 1, 0, 2), (((2, 3),),)),
    OpInfo("shp_diag_embed_neg", lambda m, x: x.diag_embed(offset=-1), (((2, 2),),)),
    # --- in place through views (the base sees the change and its gradient) ---------------------
    OpInfo(
        "shp_narrow_inplace", lambda m, x: _through(x, lambda y: y.narrow(1, 1, 2)), (((2, 4),),)
    ),
    OpInfo("shp_diagonal_inplace", lambda m, x: _through(x, lambda y: y.diagonal()), (((3, 3),),)),
    OpInfo(
        "shp_movedim_inplace", lambda m, x: _through(x, lambda y: y.movedim(0, 1)[0]), (((2, 3),),)
    ),
    OpInfo(
        "shp_unflatten_inplace",
        lambda m, x: _through(x, lambda y: y.unflatten(1, (2, 2))[:, 1]),
        (((2, 4),),),
    ),
    OpInfo(
        "shp_tensor_split_inplace",
        lambda m, x: _through(x, lambda y: y.tensor_split(2, 1)[1]),
        (((2, 4),),),
    ),
    # --- pad -------------------------------------------------------------------------------------
    OpInfo("shp_pad", lambda m, x: _pad(m)(x, (1, 2)), (((3,),), ((2, 3),), ((2, 0),))),
    OpInfo("shp_pad_2d", lambda m, x: _pad(m)(x, (1, 1, 0, 2)), (((2, 3),), ((1, 2, 2),))),
    OpInfo("shp_pad_value", lambda m, x: _pad(m)(x, [2, 0], value=1.5), (((2, 3),),)),
    OpInfo("shp_pad_crop", lambda m, x: _pad(m)(x, (-1, 1, 1, -2)), (((3, 4),),)),
    OpInfo("shp_pad_crop_all", lambda m, x: _pad(m)(x, (-2, -1)), (((2, 3),),)),
    OpInfo("shp_pad_none", lambda m, x: _pad(m)(x, ()), (((2, 3),),)),
    OpInfo(
        "shp_pad_reflect",
        lambda m, x: _pad(m)(x, (2, 1), mode="reflect"),
        (((2, 4),), ((1, 2, 3),)),
    ),
    OpInfo(
        "shp_pad_reflect_2d",
        lambda m, x: _pad(m)(x, (1, 2, 2, 0), mode="reflect"),
        (((1, 3, 4),), ((2, 1, 3, 3),)),
    ),
    OpInfo(
        "shp_pad_reflect_3d",
        lambda m, x: _pad(m)(x, (1, 1, 0, 1, 1, 0), mode="reflect"),
        (((1, 2, 2, 3),),),
    ),
    OpInfo(
        "shp_pad_reflect_neg", lambda m, x: _pad(m)(x, (-1, 2), mode="reflect"), (((1, 2, 4),),)
    ),
    OpInfo(
        "shp_pad_replicate",
        lambda m, x: _pad(m)(x, (3, 1), mode="replicate"),
        (((2, 3),), ((1, 2, 1),)),
    ),
    OpInfo(
        "shp_pad_replicate_2d",
        lambda m, x: _pad(m)(x, (1, 2, 3, 0), mode="replicate"),
        (((1, 2, 3),), ((1, 1, 2, 2),)),
    ),
    OpInfo(
        "shp_pad_replicate_3d",
        lambda m, x: _pad(m)(x, (1, 0, 2, 1, 0, 1), mode="replicate"),
        (((1, 1, 2, 2, 2),),),
    ),
    OpInfo(
        "shp_pad_replicate_neg", lambda m, x: _pad(m)(x, (-2, 1), mode="replicate"), (((2, 4),),)
    ),
    OpInfo(
        "shp_pad_circular",
        lambda m, x: _pad(m)(x, (2, 3), mode="circular"),
        (((2, 3),), ((1, 2, 4),)),
    ),
    OpInfo(
        "shp_pad_circular_2d",
        lambda m, x: _pad(m)(x, (1, 2, 2, 1), mode="circular"),
        (((1, 2, 3),), ((1, 1, 3, 3),)),
    ),
    OpInfo(
        "shp_pad_circular_3d",
        lambda m, x: _pad(m)(x, (1, 1, 1, 0, 0, 2), mode="circular"),
        (((1, 2, 2, 2),),),
    ),
    OpInfo(
        "shp_pad_circular_neg",
        lambda m, x: _pad(m)(x, (-1, 2, 1, -1), mode="circular"),
        (((1, 3, 4),),),
    ),
    # --- gather, take ----------------------------------------------------------------------------
    OpInfo("shp_gather", lambda m, x: x.gather(1, _long(m, [[0, 0, 2], [1, 0, 1]])), (((2, 3),),)),
    OpInfo(
        "shp_gather_dim0", lambda m, x: m.gather(x, 0, _long(m, [[1, 0], [1, 1]])), (((2, 3),),)
    ),
    OpInfo("shp_gather_small", lambda m, x: x.gather(-1, _long(m, [[2]])), (((3, 3),),)),
    OpInfo("shp_gather_1d", lambda m, x: x.gather(0, _long(m, [2, 2, 0, 1])), (((3,),),)),
    OpInfo("shp_gather_0d", lambda m, x: x.gather(0, _long(m, 0)), (((),),)),
    OpInfo("shp_gather_0d_vec", lambda m, x: x.gather(0, _long(m, [0, 0])), (((),),)),
    OpInfo(
        "shp_gather_empty", lambda m, x: x.gather(1, _t(m, [[], []], dtype=m.int64)), (((2, 3),),)
    ),
    OpInfo("shp_gather_int32", lambda m, x: x.gather(1, _t(m, [[1]], dtype=m.int32)), (((2, 3),),)),
    OpInfo(
        "shp_take_along_dim",
        lambda m, x: m.take_along_dim(x, _long(m, [[0, 2], [1, 1]]), 1),
        (((2, 3),),),
    ),
    OpInfo(
        "shp_take_along_dim_bcast",
        lambda m, x: m.take_along_dim(x, _long(m, [[0], [2], [-1]]), dim=0),
        (((3, 2),), ((3, 1),)),
    ),
    OpInfo(
        "shp_take_along_dim_flat",
        lambda m, x: x.take_along_dim(_long(m, [[5, 0, 5]])),
        (((2, 3),),),
    ),
    OpInfo("shp_take", lambda m, x: x.take(_long(m, [[0, 5], [5, -1]])), (((2, 3),), ((6,),))),
    OpInfo("shp_take_0d", lambda m, x: m.take(x, _long(m, 0)), (((),), ((2, 2),))),
    # --- index_* ---------------------------------------------------------------------------------
    OpInfo(
        "shp_index_select",
        lambda m, x: x.index_select(0, _long(m, [2, 0, 2])),
        (((3,),), ((3, 2),)),
    ),
    OpInfo("shp_index_select_dim1", lambda m, x: m.index_select(x, 1, _long(m, [1])), (((2, 3),),)),
    OpInfo("shp_index_select_0d_index", lambda m, x: x.index_select(-1, _long(m, 1)), (((2, 3),),)),
    OpInfo(
        "shp_index_select_empty",
        lambda m, x: x.index_select(0, _t(m, [], dtype=m.int64)),
        (((3, 2),),),
    ),
    OpInfo(
        "shp_index_select_int32",
        lambda m, x: x.index_select(0, _t(m, [1, 1], dtype=m.int32)),
        (((3, 2),),),
    ),
    OpInfo(
        "shp_index_add",
        lambda m, x, y: x.index_add(0, _long(m, [2, 0, 2]), y),
        (((3,), (3,)), ((3, 2), (3, 2))),
    ),
    OpInfo(
        "shp_index_add_alpha",
        lambda m, x, y: m.index_add(x, 1, _long(m, [1, 1]), y, alpha=-2.5),
        (((2, 3), (2, 2)),),
    ),
    OpInfo(
        "shp_index_copy",
        lambda m, x, y: x.index_copy(0, _long(m, [2, 0]), y),
        (((3,), (2,)), ((3, 2), (2, 2))),
    ),
    OpInfo(
        "shp_index_copy_dim1",
        lambda m, x, y: m.index_copy(x, -1, _long(m, [1]), y),
        (((2, 3), (2, 1)),),
    ),
    OpInfo("shp_index_fill", lambda m, x: x.index_fill(1, _long(m, [0, 2, 0]), -1.5), (((2, 3),),)),
    OpInfo(
        "shp_index_fill_tensor",
        lambda m, x, v: m.index_fill(x, 0, _long(m, [1, 2]), v),
        (((3, 2), ()),),
    ),
    OpInfo(
        "shp_index_fill_negative",
        lambda m, x: m.index_fill(x, 0, _long(m, [1, -1]), 0.5),
        (((3, 2),),),
    ),
    # --- scatter ---------------------------------------------------------------------------------
    OpInfo(
        "shp_scatter",
        lambda m, x, s: x.scatter(1, _long(m, [[2, 0], [1, 2]]), s),
        (((2, 3), (2, 2)),),
    ),
    OpInfo(
        "shp_scatter_dim0",
        lambda m, x, s: m.scatter(x, 0, _long(m, [[1, 0, 1]]), s),
        (((2, 3), (1, 3)),),
    ),
    OpInfo("shp_scatter_0d", lambda m, x, s: x.scatter(0, _long(m, 0), s), (((), ()),)),
    OpInfo("shp_scatter_value", lambda m, x: x.scatter(1, _long(m, [[2], [0]]), 2.5), (((2, 3),),)),
    OpInfo(
        "shp_scatter_value_kw",
        lambda m, x: m.scatter(x, 0, _long(m, [[1, 1]]), value=-1.0),
        (((2, 3),),),
    ),
    OpInfo(
        "shp_scatter_add",
        lambda m, x, s: x.scatter_add(1, _long(m, [[2, 2], [0, 2]]), s),
        (((2, 3), (2, 2)),),
    ),
    OpInfo(
        "shp_scatter_add_fn",
        lambda m, x, s: m.scatter_add(x, 0, _long(m, [[0, 0, 1], [0, 0, 0]]), s),
        (((2, 3), (2, 3)),),
    ),
    # --- masked_* --------------------------------------------------------------------------------
    OpInfo(
        "shp_masked_fill",
        lambda m, x: x.masked_fill(_t(m, [True, False, True]), 0.5),
        (((3,),), ((2, 3),)),
    ),
    OpInfo(
        "shp_masked_fill_bcast",
        lambda m, x: m.masked_fill(x, _t(m, [[True], [False]]), -2.0),
        (((3,),), ((2, 1),)),
    ),
    OpInfo(
        "shp_masked_fill_tensor",
        lambda m, x, v: x.masked_fill(_t(m, [[False, True, True]]), v),
        (((2, 3), ()),),
    ),
    OpInfo(
        "shp_masked_select",
        lambda m, x: x.masked_select(_t(m, [True, False, True])),
        (((3,),), ((2, 3),)),
    ),
    OpInfo(
        "shp_masked_select_bcast",
        lambda m, x: m.masked_select(x, _t(m, [[True, False], [True, True]])),
        (((2,),), ((2, 1),), ((),)),
    ),
    OpInfo("shp_masked_select_none", lambda m, x: x.masked_select(_t(m, False)), (((2, 3),),)),
    # --- in-place forms ---------------------------------------------------------------------------
    OpInfo(
        "shp_masked_fill_",
        lambda m, x: (x * 1).masked_fill_(_t(m, [True, False, True]), 0.5),
        (((2, 3),),),
    ),
    OpInfo(
        "shp_masked_fill_tensor_",
        lambda m, x, v: (x * 1).masked_fill_(_t(m, [True, False]), v),
        (((2,), ()),),
    ),
    OpInfo(
        "shp_scatter_",
        lambda m, x, s: (x * 1).scatter_(0, _long(m, [[1, 0, 1]]), s),
        (((2, 3), (1, 3)),),
    ),
    OpInfo(
        "shp_scatter_value_",
        lambda m, x: (x * 1).scatter_(1, _long(m, [[0], [2]]), 3.0),
        (((2, 3),),),
    ),
    OpInfo(
        "shp_scatter_add_",
        lambda m, x, s: (x * 1).scatter_add_(1, _long(m, [[1, 1], [0, 2]]), s),
        (((2, 3), (2, 2)),),
    ),
    OpInfo(
        "shp_index_add_",
        lambda m, x, s: (x * 1).index_add_(0, _long(m, [1, 1]), s, alpha=2),
        (((2, 3), (2, 3)),),
    ),
    OpInfo(
        "shp_index_copy_",
        lambda m, x, s: (x * 1).index_copy_(1, _long(m, [2]), s),
        (((2, 3), (2, 1)),),
    ),
    OpInfo(
        "shp_index_fill_", lambda m, x: (x * 1).index_fill_(0, _long(m, [0]), 7.0), (((2, 3),),)
    ),
    OpInfo(
        "shp_index_fill_tensor_",
        lambda m, x, v: (x * 1).index_fill_(1, _long(m, [1, 2]), v),
        (((2, 3), ()),),
    ),
    # --- nonzero (integer results, no gradient) ---------------------------------------------------
    OpInfo("shp_nonzero", lambda m, x: m.nonzero(x > 0), ONE, gradcheck=False),
    OpInfo("shp_argwhere", lambda m, x: m.argwhere(x > 0), ONE, gradcheck=False),
]


def _through(x: Any, view: Any) -> Any:
    """y = x * 1, then view(y) doubled in place: returns y, whose history now includes it."""
    y = x * 1
    view(y).mul_(2)
    return y
