// model_files.h — weight sources over model files (see models.h struct weight_source).
#ifndef LS_MODEL_FILES_H
#define LS_MODEL_FILES_H

#include "loader.h"
#include "models.h"

// A weight source viewing an open safetensors file (borrowed: close the file after the models using it
// are freed, since CPU models alias its mapping).
void weight_source_safetensors(struct weight_source *src, st_file *f);

#endif
