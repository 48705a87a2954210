// Prints Kafka's topic-level configs as JSON: name, type, default and what the broker's validator allows, read
// from the broker's own ConfigDef (LogConfig), plus the keys MirrorMaker 2 does not copy to remote topics
// (DefaultConfigPropertyFilter). Run by scripts/gen-topic-configs.sh with the Kafka jars on the class path.
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter;
import org.apache.kafka.storage.internals.log.LogConfig;

public class GenTopicConfigs {
    private static final Pattern RANGE = Pattern.compile("\\[(-?[0-9.E]+)?,\\.\\.\\.(?:,(-?[0-9.E]+))?\\]");

    public static void main(String[] args) {
        Map<String, ConfigDef.ConfigKey> keys = LogConfig.configKeys();
        List<String> entries = new ArrayList<>();
        for (String name : new TreeMap<>(keys).keySet()) {
            if (!LogConfig.nonInternalConfigNames().contains(name)) {
                continue;
            }
            ConfigDef.ConfigKey key = keys.get(name);
            StringBuilder entry = new StringBuilder();
            entry.append("    ").append(quote(name)).append(": {\"type\": ").append(quote(key.type.name()));
            entry.append(", \"default\": ").append(key.hasDefault() && key.defaultValue != null
                ? quote(ConfigDef.convertToString(key.defaultValue, key.type)) : "null");
            if (key.validator != null) {
                String shown = key.validator.toString();
                entry.append(", \"validator\": ").append(quote(key.validator.getClass().getSimpleName()));
                Matcher range = RANGE.matcher(shown);
                if (key.validator instanceof ConfigDef.Range && range.matches()) {
                    entry.append(", \"min\": ").append(range.group(1) == null ? "null" : range.group(1));
                    entry.append(", \"max\": ").append(range.group(2) == null ? "null" : range.group(2));
                } else if (key.validator instanceof ConfigDef.ValidString || key.validator instanceof ConfigDef.ValidList) {
                    String inside = shown.substring(shown.indexOf('[') + 1, shown.indexOf(']'));
                    List<String> allowed = new ArrayList<>();
                    for (String value : inside.split(",")) {
                        if (!value.isBlank()) {
                            allowed.add(quote(value.strip()));
                        }
                    }
                    entry.append(", \"allowed\": [").append(String.join(", ", allowed)).append("]");
                }
            }
            entries.add(entry.append("}").toString());
        }
        List<String> notSynced = new ArrayList<>();
        for (String pattern : DefaultConfigPropertyFilter.CONFIG_PROPERTIES_EXCLUDE_DEFAULT.split(",")) {
            String name = pattern.strip().replace("\\.", ".");  // the filter's entries are regexes of plain names
            if (!name.matches("[a-z0-9.]+")) {
                throw new IllegalStateException("not a plain config name: " + pattern);
            }
            notSynced.add(quote(name));
        }
        System.out.println("{");
        System.out.println("  \"kafka_version\": " + quote(AppInfoParser.getVersion()) + ",");
        System.out.println("  \"generated_by\": \"scripts/gen-topic-configs.sh\",");
        System.out.println("  \"configs\": {");
        System.out.println(String.join(",\n", entries));
        System.out.println("  },");
        System.out.println("  \"mm2_not_synced\": [" + String.join(", ", notSynced) + "]");
        System.out.println("}");
    }

    private static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
