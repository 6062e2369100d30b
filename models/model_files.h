// model_files.h — model weight files of any supported format behind one weight_source: our safetensors
// (and diffusers' VAE safetensors), and PyTorch checkpoints (LatentSync's latentsync_unet.pt with its
// "state_dict", Whisper's tiny.pt with its "model_state_dict"), read through weights-convert.
#ifndef LS_MODEL_FILES_H
#define LS_MODEL_FILES_H

#include "loader.h"
#include "models.h"
#include "weights_convert.h"

// A weight source viewing an open safetensors file (borrowed: close the file after the models using it
// are freed, since CPU models alias its mapping).
void weight_source_safetensors(struct weight_source *src, st_file *f);

struct model_file {
    st_file *st;
    pt_file *ck;              // opened at the root: names are dotted from it ("state_dict.conv_in.weight")
    char prefix[64];          // checkpoint sub-dict holding the tensors ("state_dict.", ...)
    int *names;               // checkpoint tensors under the prefix (indices), for listing
    int n_names;
    void **converted;         // owned contiguous copies of tensors the mapping cannot serve as is
    int n_converted, cap_converted;
    struct weight_source src; // ready to bind models from
};

// Opens a .safetensors or torch.save file (detected from its bytes). For checkpoints, tensors are looked
// up under the first of `prefixes` (e.g. {"state_dict.", "model_state_dict.", "", NULL}) that holds any.
ls_status model_file_open(struct model_file *mf, const char *path, const char *const *prefixes);
void model_file_close(struct model_file *mf); // safe on a zeroed or failed model_file

#endif
