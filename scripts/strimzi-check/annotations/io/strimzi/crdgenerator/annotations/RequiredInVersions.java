package io.strimzi.crdgenerator.annotations;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares Strimzi's annotation of the same name so the JVM keeps it on the model's getters: Strimzi ships it in
 * crd-generator, which is not on Maven Central. Only the member StrimziCheck reads is declared.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.FIELD, ElementType.TYPE})
public @interface RequiredInVersions {
    String value();
}
