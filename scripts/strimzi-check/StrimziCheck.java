import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.strimzi.api.kafka.model.common.UnknownPropertyPreserving;
import io.strimzi.api.kafka.model.mirrormaker2.KafkaMirrorMaker2;

import java.io.File;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Checks rendered KafkaMirrorMaker2 resources with Strimzi's own model (io.strimzi:api): each YAML document is
 * read into {@link KafkaMirrorMaker2} the way the operator reads it, then the object graph is walked and any key
 * the model does not know fails the check. Strimzi keeps unknown keys in additionalProperties instead of
 * rejecting them, so parsing alone would accept a misspelt or misplaced key.
 *
 * The walk also applies the model's version annotations for the document's apiVersion: a property missing from
 * that version (PresentInVersions) or a required one left out (RequiredInVersions, JsonProperty(required)) fails;
 * a deprecated property (DeprecatedProperty) is printed as a warning line starting with "deprecated:".
 *
 * Usage: java -cp <lib>/*:<classes> StrimziCheck file.yaml. Exit 0 valid, 1 invalid (one line per problem), 2 error.
 */
public final class StrimziCheck {
    private static final String GROUP = KafkaMirrorMaker2.RESOURCE_GROUP + "/";

    private final ObjectMapper mapper = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private String version = "";

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: StrimziCheck <file.yaml>");
            System.exit(2);
        }
        StrimziCheck check = new StrimziCheck();
        int documents = check.checkFile(new File(args[0]));
        check.warnings.forEach(System.out::println);
        check.errors.forEach(System.out::println);
        if (!check.errors.isEmpty()) {
            System.exit(1);
        }
        System.out.println("ok: " + documents + " KafkaMirrorMaker2 resource(s) valid for Strimzi api "
                + KafkaMirrorMaker2.class.getPackage().getImplementationVersion() + " " + KafkaMirrorMaker2.VERSIONS);
    }

    private int checkFile(File file) throws Exception {
        int index = 0;
        try (MappingIterator<JsonNode> docs = mapper.readerFor(JsonNode.class).readValues(file)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc == null || doc.isNull() || doc.isMissingNode()) {
                    continue;
                }
                checkDocument("doc[" + index + "]", doc);
                index++;
            }
        }
        if (index == 0) {
            errors.add("error: no YAML document in " + file);
        }
        return index;
    }

    private void checkDocument(String where, JsonNode doc) {
        String apiVersion = doc.path("apiVersion").asText("");
        String kind = doc.path("kind").asText("");
        if (!KafkaMirrorMaker2.RESOURCE_KIND.equals(kind)) {
            errors.add("error: " + where + ".kind: " + kind + " is not " + KafkaMirrorMaker2.RESOURCE_KIND);
            return;
        }
        version = apiVersion.startsWith(GROUP) ? apiVersion.substring(GROUP.length()) : "";
        if (!KafkaMirrorMaker2.VERSIONS.contains(version)) {
            errors.add("error: " + where + ".apiVersion: " + apiVersion + " is not one of " + GROUP
                    + KafkaMirrorMaker2.VERSIONS);
            return;
        }
        KafkaMirrorMaker2 resource;
        try {
            resource = mapper.treeToValue(doc, KafkaMirrorMaker2.class);
        } catch (Exception e) {
            errors.add("error: " + where + ": Strimzi's model rejects it: " + e.getMessage().replace('\n', ' '));
            return;
        }
        walk(where, resource);
    }

    private void walk(String path, Object value) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(path + "[" + i++ + "]", item);
            }
            return;
        }
        if (value instanceof Map<?, ?> || !value.getClass().getName().startsWith("io.strimzi.api.")) {
            return; // free-form maps (config, labels) and scalars are the operator's to interpret
        }
        if (value instanceof UnknownPropertyPreserving preserving && preserving.getAdditionalProperties() != null) {
            for (String key : preserving.getAdditionalProperties().keySet()) {
                errors.add("error: " + path + "." + key + ": unknown property (not in Strimzi's "
                        + value.getClass().getSimpleName() + ")");
            }
        }
        JavaType type = mapper.constructType(value.getClass());
        for (BeanPropertyDefinition property : mapper.getSerializationConfig().introspect(type).findProperties()) {
            AnnotatedMember getter = property.getAccessor();
            if (getter == null || "additionalProperties".equals(property.getName())) {
                continue;
            }
            Object child = getter.getValue(value);
            String childPath = path + "." + property.getName();
            boolean present = child != null && !(child instanceof Collection<?> c && c.isEmpty());
            Versions versions = Versions.of(getter);
            if (present && versions.presentIn != null && !versions.presentIn.matches(version)) {
                errors.add("error: " + childPath + ": not in Strimzi's " + version + " API (only "
                        + versions.presentIn + ")");
            }
            if (!present && (property.isRequired() || versions.requiredIn != null
                    && versions.requiredIn.matches(version))) {
                errors.add("error: " + childPath + ": required by Strimzi's " + version + " API");
            }
            if (present && versions.deprecation != null) {
                warnings.add("deprecated: " + childPath + ": " + versions.deprecation);
            }
            walk(childPath, child);
        }
    }

    /** The version annotations of one property, read by name from its getter or field. */
    private record Versions(VersionRange presentIn, VersionRange requiredIn, String deprecation) {
        static Versions of(AnnotatedMember member) {
            VersionRange present = null;
            VersionRange required = null;
            String deprecation = null;
            for (java.lang.annotation.Annotation a : annotations(member)) {
                String name = a.annotationType().getName();
                if (name.equals("io.strimzi.crdgenerator.annotations.PresentInVersions")) {
                    present = VersionRange.parse(text(a, "value"));
                } else if (name.equals("io.strimzi.crdgenerator.annotations.RequiredInVersions")) {
                    required = VersionRange.parse(text(a, "value"));
                } else if (name.equals("io.strimzi.api.annotations.DeprecatedProperty")) {
                    deprecation = text(a, "description");
                }
            }
            return new Versions(present, required, deprecation);
        }

        private static List<java.lang.annotation.Annotation> annotations(AnnotatedMember member) {
            return List.of(member.getAnnotated().getAnnotations());
        }

        private static String text(java.lang.annotation.Annotation a, String member) {
            try {
                return String.valueOf(a.annotationType().getMethod(member).invoke(a));
            } catch (ReflectiveOperationException e) {
                return "";
            }
        }
    }

    /** Strimzi's version ranges: "v1beta2" (exactly), "v1beta2+" (that one and later), "v1beta2-v1". */
    private record VersionRange(String text, int from, int to) {
        private static final List<String> ORDER = List.of("v1alpha1", "v1beta1", "v1beta2", "v1");

        static VersionRange parse(String text) {
            String t = text.trim();
            if (t.endsWith("+")) {
                return new VersionRange(t, rank(t.substring(0, t.length() - 1)), Integer.MAX_VALUE);
            }
            int dash = t.indexOf('-');
            if (dash > 0) {
                return new VersionRange(t, rank(t.substring(0, dash)), rank(t.substring(dash + 1)));
            }
            return new VersionRange(t, rank(t), rank(t));
        }

        private static int rank(String version) {
            int r = ORDER.indexOf(version);
            if (r < 0) {
                throw new IllegalArgumentException("unknown Strimzi API version in the model: " + version);
            }
            return r;
        }

        boolean matches(String version) {
            int r = rank(version);
            return r >= from && r <= to;
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
