"""Model contract (:mod:`.base`), the registry (:mod:`.registry`) and built-in models.

Adapters for the network families users bring, selected by a name prefix (see
:mod:`.registry` and :mod:`.spec`): ``hf:`` (:mod:`.huggingface`), ``monodepth2:``
(:mod:`.monodepth2`, network in :mod:`.monodepth2_net`) and ``hub:`` (:mod:`.torch_hub`),
all built on :mod:`.torch_adapter`.

Importing this package, the registry or an adapter module imports no network code and no
torch; torch (and transformers) are imported when a model is built.
"""
