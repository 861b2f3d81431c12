"""Reads a TensorBoard log folder with TensorBoard's own event readers (the oracle of
test/rl/tensorboard.test.ts), as JSON on stdout:
- scalars: event_accumulator.EventAccumulator's Scalars(tag), (step, value) per tag;
- text: plugin_event_accumulator.EventAccumulator (what the TensorBoard server reads for its
  plugins: the classic accumulator never purges tensors on a SessionLog START) Tensors(tag) of the
  text plugin's tags, (step, text, plugin name).
purge_orphaned_data (the default) applies SessionLog START: steps written again after a resume once."""
import json
import sys

from tensorboard.backend.event_processing import plugin_event_accumulator
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
acc.Reload()
plugin = plugin_event_accumulator.EventAccumulator(sys.argv[1], size_guidance={"tensors": 0})
plugin.Reload()
text_tags = plugin.PluginTagToContent("text").keys()
out = {
    "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]},
    "text": {
        t: [[e.step, e.tensor_proto.string_val[0].decode("utf-8"), plugin.SummaryMetadata(t).plugin_data.plugin_name] for e in plugin.Tensors(t)]
        for t in text_tags
    },
}
json.dump(out, sys.stdout)
