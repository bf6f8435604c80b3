package pipegen.jackson;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pipeline as Front50's Jackson reads it: the typed properties of front50-api's Pipeline (names,
 * types and which accessors exist) with the annotations of its PipelineMixins. What matters to
 * Jackson is reproduced: a property is typed only where the class has a visible accessor
 * (createTs has none, so it lands in the any-map with whatever type it has); updateTs has only a
 * getter, so its private field is the mutator; lastModified is ignored and, because there is an
 * any-setter, kept as an unknown key.
 */
public class Pipeline implements Timestamped {
  private final Map<String, Object> any = new HashMap<>();

  @JsonInclude(Include.NON_NULL)
  private String id;
  @JsonInclude(Include.NON_NULL)
  private String name;
  @JsonInclude(Include.NON_NULL)
  private String application;
  @JsonInclude(Include.NON_NULL)
  private String type;
  @JsonInclude(Include.NON_NULL)
  private String schema;
  @JsonInclude(Include.NON_NULL)
  private Object config;
  @JsonInclude(Include.NON_NULL)
  private List<Trigger> triggers = new ArrayList<>();
  @JsonInclude(Include.NON_NULL)
  private Integer index;

  @JsonInclude(Include.NON_NULL)
  @SuppressWarnings("unused")
  private String createTs;

  @JsonInclude(Include.NON_NULL)
  private String updateTs;
  @JsonInclude(Include.NON_NULL)
  private String lastModifiedBy;
  @JsonIgnore private Long lastModified;

  @JsonInclude(Include.NON_NULL)
  private String email;
  @JsonInclude(Include.NON_NULL)
  private Boolean disabled;
  @JsonInclude(Include.NON_NULL)
  private Map<String, Object> template;
  @JsonInclude(Include.NON_NULL)
  private List<String> roles;
  @JsonInclude(Include.NON_NULL)
  private String serviceAccount;
  @JsonInclude(Include.NON_NULL)
  private String executionEngine;
  @JsonInclude(Include.NON_NULL)
  private Integer stageCounter;
  @JsonInclude(Include.NON_NULL)
  private List<Map<String, Object>> stages;
  @JsonInclude(Include.NON_NULL)
  private Map<String, Object> constraints;
  @JsonInclude(Include.NON_NULL)
  private Map<String, Object> payloadConstraints;
  @JsonInclude(Include.NON_NULL)
  private Boolean keepWaitingPipelines;
  @JsonInclude(Include.NON_NULL)
  private Boolean limitConcurrent;
  @JsonInclude(Include.NON_NULL)
  private Integer maxConcurrentExecutions;
  @JsonInclude(Include.NON_NULL)
  private List<Map<String, Object>> parameterConfig;
  @JsonInclude(Include.NON_NULL)
  private String spelEvaluator;

  @JsonAnySetter
  public void setAny(String key, Object value) {
    any.put(key, value);
  }

  @JsonAnyGetter
  public Map<String, Object> getAny() {
    return any;
  }

  @Override
  public String getId() {
    return id;
  }

  public void setId(String id) {
    this.id = id;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getApplication() {
    return application;
  }

  public void setApplication(String application) {
    this.application = application;
  }

  public String getType() {
    return type;
  }

  public void setType(String type) {
    this.type = type;
  }

  /** Front50 answers "1" for a missing or empty schema. */
  public String getSchema() {
    return schema == null || schema.isEmpty() ? "1" : schema;
  }

  public void setSchema(String schema) {
    this.schema = schema;
  }

  public Object getConfig() {
    return config;
  }

  public void setConfig(Object config) {
    this.config = config;
  }

  public List<Trigger> getTriggers() {
    return triggers;
  }

  public void setTriggers(List<Trigger> triggers) {
    this.triggers = triggers;
  }

  public Integer getIndex() {
    return index;
  }

  public void setIndex(Integer index) {
    this.index = index;
  }

  /** Derived from lastModified (the S3 object's time on load); there is no setter. */
  public String getUpdateTs() {
    return lastModified != null ? lastModified.toString() : null;
  }

  @Override
  public String getLastModifiedBy() {
    return lastModifiedBy;
  }

  @Override
  public void setLastModifiedBy(String lastModifiedBy) {
    this.lastModifiedBy = lastModifiedBy;
  }

  @Override
  public Long getLastModified() {
    return lastModified;
  }

  @Override
  public void setLastModified(Long lastModified) {
    this.lastModified = lastModified;
  }

  public String getEmail() {
    return email;
  }

  public void setEmail(String email) {
    this.email = email;
  }

  public Boolean getDisabled() {
    return disabled;
  }

  public void setDisabled(Boolean disabled) {
    this.disabled = disabled;
  }

  public Map<String, Object> getTemplate() {
    return template;
  }

  public void setTemplate(Map<String, Object> template) {
    this.template = template;
  }

  public List<String> getRoles() {
    return roles;
  }

  public void setRoles(List<String> roles) {
    this.roles = roles;
  }

  public String getServiceAccount() {
    return serviceAccount;
  }

  public void setServiceAccount(String serviceAccount) {
    this.serviceAccount = serviceAccount;
  }

  public String getExecutionEngine() {
    return executionEngine;
  }

  public void setExecutionEngine(String executionEngine) {
    this.executionEngine = executionEngine;
  }

  public Integer getStageCounter() {
    return stageCounter;
  }

  public void setStageCounter(Integer stageCounter) {
    this.stageCounter = stageCounter;
  }

  public List<Map<String, Object>> getStages() {
    return stages;
  }

  public void setStages(List<Map<String, Object>> stages) {
    this.stages = stages;
  }

  public Map<String, Object> getConstraints() {
    return constraints;
  }

  public void setConstraints(Map<String, Object> constraints) {
    this.constraints = constraints;
  }

  public Map<String, Object> getPayloadConstraints() {
    return payloadConstraints;
  }

  public void setPayloadConstraints(Map<String, Object> payloadConstraints) {
    this.payloadConstraints = payloadConstraints;
  }

  public Boolean getKeepWaitingPipelines() {
    return keepWaitingPipelines;
  }

  public void setKeepWaitingPipelines(Boolean keepWaitingPipelines) {
    this.keepWaitingPipelines = keepWaitingPipelines;
  }

  public Boolean getLimitConcurrent() {
    return limitConcurrent;
  }

  public void setLimitConcurrent(Boolean limitConcurrent) {
    this.limitConcurrent = limitConcurrent;
  }

  public Integer getMaxConcurrentExecutions() {
    return maxConcurrentExecutions;
  }

  public void setMaxConcurrentExecutions(Integer maxConcurrentExecutions) {
    this.maxConcurrentExecutions = maxConcurrentExecutions;
  }

  public List<Map<String, Object>> getParameterConfig() {
    return parameterConfig;
  }

  public void setParameterConfig(List<Map<String, Object>> parameterConfig) {
    this.parameterConfig = parameterConfig;
  }

  public String getSpelEvaluator() {
    return spelEvaluator;
  }

  public void setSpelEvaluator(String spelEvaluator) {
    this.spelEvaluator = spelEvaluator;
  }
}
